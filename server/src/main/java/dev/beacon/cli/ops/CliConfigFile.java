package dev.beacon.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;

/**
 * {@code ${XDG_CONFIG_HOME:-~/.config}/beacon/cli.toml}: the operator's named profiles (server, API key, CA file) and
 * which one is current. Written atomically with mode 0600 in a 0700 directory, as it holds API keys. Not thread-safe;
 * one command uses it once.
 *
 * <pre>
 * current = "default"
 *
 * [profiles.default]
 * server = "https://beacon.example.com"
 * api_key = "rf_api_…"
 * ca_cert = "/etc/beacon/ca.pem"
 * </pre>
 */
final class CliConfigFile {
    static final String DEFAULT_PROFILE = "default";
    private static final TomlMapper TOML = new TomlMapper();

    /** One profile; any field may be null. */
    record Profile(String server, String apiKey, String caCert) {
    }

    private final Path path;

    CliConfigFile(Path path) {
        this.path = path;
    }

    /** The file the environment points at: {@code $XDG_CONFIG_HOME/beacon/cli.toml}, else {@code $HOME/.config/…}. */
    static CliConfigFile fromEnvironment() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base;
        if (xdg != null && !xdg.isBlank()) {
            base = Path.of(xdg);
        } else {
            String home = System.getenv("HOME");
            base = Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".config");
        }
        return new CliConfigFile(base.resolve("beacon").resolve("cli.toml"));
    }

    Path path() {
        return path;
    }

    /** The profile named {@code name}, or the current one when null; null when there is none. */
    Profile profile(String name) {
        ObjectNode root = read();
        String wanted = name != null ? name : current(root);
        JsonNode node = root.path("profiles").path(wanted);
        if (!node.isObject()) {
            return null;
        }
        return new Profile(text(node, "server"), text(node, "api_key"), text(node, "ca_cert"));
    }

    /** The name {@code profile(null)} reads. */
    String currentName() {
        return current(read());
    }

    /** Saves {@code profile} as {@code name} and makes it the current one. */
    void save(String name, Profile profile) {
        ObjectNode root = read();
        ObjectNode profiles = root.has("profiles") && root.get("profiles").isObject()
                ? (ObjectNode) root.get("profiles") : root.putObject("profiles");
        ObjectNode node = profiles.putObject(name);
        node.put("server", profile.server());
        node.put("api_key", profile.apiKey());
        if (profile.caCert() != null) {
            node.put("ca_cert", profile.caCert());
        }
        root.put("current", name);
        write(root);
    }

    /** Removes profile {@code name} (the current one when null); false when there was none. */
    boolean remove(String name) {
        ObjectNode root = read();
        String wanted = name != null ? name : current(root);
        JsonNode profiles = root.path("profiles");
        if (!profiles.isObject() || !profiles.has(wanted)) {
            return false;
        }
        ((ObjectNode) profiles).remove(wanted);
        if (wanted.equals(root.path("current").asText(null))) {
            root.remove("current");
            Iterator<String> left = profiles.fieldNames();
            if (left.hasNext()) {
                root.put("current", left.next());
            }
        }
        write(root);
        return true;
    }

    /** The file's text: {@code current}, then one {@code [profiles.NAME]} table per profile, strings quoted. */
    static String render(ObjectNode root) {
        StringBuilder toml = new StringBuilder("# Written by beacon login; holds API keys, keep it 0600.\n");
        if (root.hasNonNull("current")) {
            toml.append("current = ").append(quote(root.get("current").asText())).append('\n');
        }
        root.path("profiles").fields().forEachRemaining(profile -> {
            toml.append("\n[profiles.").append(quote(profile.getKey())).append("]\n");
            profile.getValue().fields().forEachRemaining(field ->
                    toml.append(field.getKey()).append(" = ").append(quote(field.getValue().asText())).append('\n'));
        });
        return toml.toString();
    }

    /** A TOML basic string. */
    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    private static String current(ObjectNode root) {
        String current = root.path("current").asText("");
        return current.isBlank() ? DEFAULT_PROFILE : current;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.asText().isBlank() ? null : value.asText();
    }

    private ObjectNode read() {
        if (!Files.exists(path)) {
            return TOML.createObjectNode();
        }
        try {
            JsonNode root = TOML.readTree(path.toFile());
            return root instanceof ObjectNode object ? object : TOML.createObjectNode();
        } catch (IOException e) {
            throw new OpsException("Cannot read " + path + ": " + e.getMessage().lines().findFirst().orElse("")
                    + "; fix or delete it and run beacon login again", "config_unreadable", OpsException.REFUSED);
        }
    }

    private void write(ObjectNode root) {
        try {
            Path dir = path.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path temp = Files.createTempFile(dir, ".cli", ".toml",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temp, render(root));
            try {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new OpsException("Cannot write " + path + ": " + e.getMessage(), "config_unwritable", OpsException.REFUSED);
        }
    }
}
