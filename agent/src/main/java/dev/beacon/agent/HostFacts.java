package dev.beacon.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the agent tells the server about its machine in {@code enroll} and {@code hello}. Immutable and
 * thread-safe.
 */
public record HostFacts(String hostname, String os, String arch, String agentVersion) {
    /** Version reported when the code does not run from the packaged jar (which carries no version yet). */
    static final String DEVELOPMENT_VERSION = "0.1.0-dev";

    /** Looks at this machine and JVM. */
    public static HostFacts detect() {
        String version = HostFacts.class.getPackage().getImplementationVersion();
        return new HostFacts(localHostname(), System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT),
                System.getProperty("os.arch", "unknown"), version == null ? DEVELOPMENT_VERSION : version);
    }

    /** The machine's host name, the default robot name; never null. */
    public static String localHostname() {
        for (String variable : new String[] {"HOSTNAME", "COMPUTERNAME"}) {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        try {
            String fromFile = Files.readString(Path.of("/etc/hostname")).strip();
            if (!fromFile.isEmpty()) {
                return fromFile;
            }
        } catch (IOException | SecurityException e) {
            // Not Linux, or not readable: fall through to the resolver.
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
