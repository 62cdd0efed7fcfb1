package dev.beacon.agent;

import dev.beacon.BeaconVersion;
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
    /** Looks at this machine and JVM. */
    public static HostFacts detect() {
        return new HostFacts(localHostname(), System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT),
                System.getProperty("os.arch", "unknown"), BeaconVersion.get());
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
