package dev.beacon;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Beacon's one version string, the Maven project version, read from {@code dev/beacon/version.properties} (filled in
 * by resource filtering). {@code beacon --version} and the agent's reported {@code agent_version} both use it, so
 * they never disagree. Stateless and thread-safe.
 */
public final class BeaconVersion {
    private static final String VERSION = load();

    private BeaconVersion() {
    }

    /** The running Beacon version, e.g. {@code 0.1.0}. */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = BeaconVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/beacon/version.properties is missing from the class path; build with Maven");
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "").strip();
            if (version.isEmpty() || version.startsWith("${")) {
                throw new IllegalStateException("dev/beacon/version.properties was not filtered by Maven: " + version);
            }
            return version;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dev/beacon/version.properties", e);
        }
    }
}
