package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.EnrollClient;
import dev.beacon.agent.EnrollRequest;
import dev.beacon.agent.Enrollment;
import dev.beacon.agent.FirstAnswering;
import dev.beacon.agent.HostFacts;
import dev.beacon.agent.ServerEndpoint;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The enrollment steps {@code agent enroll} and {@code agent run --enrollment-key} share, printing one line as each
 * completes. Stateless; call from the command's thread.
 */
final class AgentEnrollment {
    private AgentEnrollment() {
    }

    /** Fails before any prompt when there is no server to enroll with, or one of the URLs is unusable. */
    static void requireServer(AgentEnrollOptions options, AgentConfig staged) {
        if (serverUrls(options, staged).isEmpty()) {
            throw new AgentException("No server given: pass --server https://beacon.example.com.");
        }
        ServerEndpoint.allOf(serverUrls(options, staged), null); // throws on a bad URL
    }

    /** The --server URLs when any were given, else those agent.toml already held (staged by provisioning). */
    private static List<String> serverUrls(AgentEnrollOptions options, AgentConfig staged) {
        return options.servers.isEmpty() ? staged.servers() : options.servers;
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
        List<ServerEndpoint> servers = ServerEndpoint.allOf(serverUrls(options, staged), caCert);
        List<String> urls = servers.stream().map(server -> server.base().toString()).toList();
        String name = options.name != null ? options.name : staged.name() != null ? staged.name() : HostFacts.localHostname();
        Map<String, String> labels = new LinkedHashMap<>(staged.labels());
        labels.putAll(options.labels);
        AgentConfig base = new AgentConfig(urls, null, null, name, null, null, null, caCert,
                labels, staged.handlers());

        out.println("Enrolling with organization...");
        out.flush();
        EnrollRequest request = EnrollRequest.of(enrollmentKey, name, HostFacts.detect(), base, options.replace);
        // Only an unreachable server moves on to the next; a refusal from a live node is the control plane's answer.
        Enrollment enrollment = FirstAnswering.ask(servers, server -> new EnrollClient(server).enroll(request),
                (unreachable, failure, next) -> {
                    out.println("Server " + unreachable.base() + " unreachable, trying " + next.base() + "...");
                    out.flush();
                });
        out.println("✓ Enrollment successful!");
        out.flush();
        AgentConfig saved = enrollment.applyTo(base, urls, name);
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
