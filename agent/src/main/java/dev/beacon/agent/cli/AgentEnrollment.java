package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.EnrollClient;
import dev.beacon.agent.EnrollRequest;
import dev.beacon.agent.Enrollment;
import dev.beacon.agent.HostFacts;
import dev.beacon.agent.ServerEndpoint;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The enrollment steps {@code agent enroll} and {@code agent run --enrollment-key} share, printing one line as each
 * completes. Stateless; call from the command's thread.
 */
final class AgentEnrollment {
    private AgentEnrollment() {
    }

    /** Fails before any prompt when there is no server to enroll with, or its URL is unusable. */
    static void requireServer(AgentEnrollOptions options, AgentConfig staged) {
        if (options.server == null && staged.server() == null) {
            throw new AgentException("No server given: pass --server https://beacon.example.com.");
        }
        ServerEndpoint.of(options.server != null ? options.server : staged.server(), null); // throws on a bad URL
    }

    /**
     * Checks the key locally, enrolls, and saves the credentials; {@code staged} is what agent.toml already held
     * (handlers or labels placed there by provisioning), which is kept.
     */
    static AgentConfig enroll(String enrollmentKey, AgentEnrollOptions options, AgentConfigFile file,
                              AgentConfig staged, PrintWriter out) throws InterruptedException {
        EnrollClient.checkKey(enrollmentKey); // a truncated key never leaves the machine
        requireServer(options, staged);
        String caCert = options.caCert != null ? options.caCert.toAbsolutePath().normalize().toString() : staged.caCert();
        ServerEndpoint endpoint = ServerEndpoint.of(options.server != null ? options.server : staged.server(), caCert);
        String name = options.name != null ? options.name : staged.name() != null ? staged.name() : HostFacts.localHostname();
        Map<String, String> labels = new LinkedHashMap<>(staged.labels());
        labels.putAll(options.labels);
        AgentConfig base = new AgentConfig(endpoint.base().toString(), null, null, name, null, null, null, caCert,
                labels, staged.handlers());

        out.println("Enrolling with organization...");
        out.flush();
        Enrollment enrollment = new EnrollClient(endpoint)
                .enroll(EnrollRequest.of(enrollmentKey, name, HostFacts.detect(), base, options.replace));
        out.println("✓ Enrollment successful!");
        out.flush();
        AgentConfig saved = enrollment.applyTo(base, endpoint.base().toString(), name);
        file.write(saved);
        out.println("✓ Credentials saved to " + file.path());
        out.flush();
        return saved;
    }

    /** One line naming the robot a config belongs to, e.g. {@code bot-1 (robot r_123)}. */
    static String describe(AgentConfig config) {
        return config.name() + " (robot " + config.robotId() + ")";
    }
}
