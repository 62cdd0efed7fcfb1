package dev.beacon.downloads;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code /install.sh}: the POSIX sh installer of {@code downloads/install.sh} on the class path, with this server's
 * URL and the agent package's file name and SHA-256 written in. Every value is written between single quotes and
 * checked to hold none, so nothing a request influences can become shell code. Immutable; thread-safe.
 */
final class InstallScript {
    private final String template;

    InstallScript() {
        try (InputStream in = InstallScript.class.getResourceAsStream("/downloads/install.sh")) {
            if (in == null) {
                throw new IllegalStateException("downloads/install.sh is missing from the class path");
            }
            this.template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The script for a server at {@code serverUrl} (no trailing slash) handing out {@code deb}; with no package, a
     * script that says {@code missing} and exits 1 at the download step.
     */
    String render(String serverUrl, Optional<Downloads.Artifact> deb, String missing) {
        return template.replace("@@BEACON_URL@@", quoted(serverUrl))
                .replace("@@DEB_FILE@@", quoted(deb.map(Downloads.Artifact::name).orElse("")))
                .replace("@@DEB_SHA256@@", quoted(deb.map(Downloads.Artifact::sha256).orElse("")))
                .replace("@@DEB_MISSING@@", quoted(deb.isPresent() ? "" : missing.replace('\'', '’').replace('\\', '/')));
    }

    private static String quoted(String value) {
        if (value.contains("'") || value.contains("\n") || value.contains("\\")) {
            throw new IllegalArgumentException("not writable into the install script: " + value);
        }
        return value;
    }
}
