package dev.beacon.jobs;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentConnection;
import dev.beacon.agent.ConnectionOptions;
import dev.beacon.agent.HandlerConfig;
import dev.beacon.agent.HostFacts;
import dev.beacon.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Real agents (in this JVM) enrolled with a real server, plus the job API calls the tests make. Not thread-safe;
 * one per test.
 */
final class RealAgents implements AutoCloseable {
    static final ConnectionOptions FAST = ConnectionOptions.defaults()
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(300))
            .withHost(new HostFacts("job-test-host", "linux", "amd64", "9.9.9"));
    static final Duration WAIT = Duration.ofSeconds(30);

    final TestServer server;
    private final Path dir;
    private final List<AgentConnection> agents = new ArrayList<>();

    RealAgents(TestServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    /** An agent enrolled with {@code enrollmentKey}, connected and greeted; returns its robot id. */
    Agent start(String enrollmentKey, String name, Map<String, String> labels, Map<String, HandlerConfig> handlers) throws Exception {
        TestServer.Response claimed = server.claim(enrollmentKey, name);
        if (claimed.status() != 201) {
            throw new IllegalStateException("claim failed: " + claimed.body());
        }
        JsonNode enrolled = claimed.json();
        AgentConfig config = new AgentConfig(server.baseUrl(), enrolled.get("robot_id").asText(), enrolled.get("robot_token").asText(),
                name, null, null, null, null, labels, handlers);
        AgentConfigFile file = AgentConfigFile.at(dir.resolve(name + ".toml"));
        file.write(config);
        AgentConnection agent = AgentConnection.start(config, file, FAST);
        agents.add(agent);
        if (!agent.awaitConnected(WAIT)) {
            throw new IllegalStateException("agent " + name + " did not connect: " + agent.exitMessage());
        }
        String robotId = config.robotId();
        await().atMost(WAIT).until(() -> "online".equals(robot(robotId).path("status").asText()));
        return new Agent(robotId, agent);
    }

    Agent start(String enrollmentKey, String name) throws Exception {
        return start(enrollmentKey, name, Map.of(), Map.of());
    }

    record Agent(String robotId, AgentConnection connection) {
    }

    JsonNode robot(String robotId) {
        return server.get("/api/robots/" + robotId, server.adminKey()).json();
    }

    TestServer.Response submit(String body) {
        return server.post("/api/jobs", body, server.adminKey());
    }

    TestServer.Response submit(String body, String apiKey, String idempotencyKey) {
        HttpRequest.Builder request = server.request("/api/jobs", apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return server.send(request);
    }

    /** Submits and returns the new job's id. */
    String submitId(String body) {
        TestServer.Response response = submit(body);
        if (response.status() != 202) {
            throw new IllegalStateException("submit failed: " + response.body());
        }
        return response.json().get("id").asText();
    }

    JsonNode job(String jobId) {
        return server.get("/api/jobs/" + jobId, server.adminKey()).json();
    }

    /** Waits until the job satisfies {@code condition} and returns it. */
    JsonNode awaitJob(String jobId, Predicate<JsonNode> condition) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> condition.test(seen[0] = job(jobId)));
        return seen[0];
    }

    JsonNode awaitStatus(String jobId, String status) {
        return awaitJob(jobId, job -> status.equals(job.path("status").asText()));
    }

    /**
     * Waits for two more dispatch rounds that weighed the queue against idle robots: the second began after this
     * call, so whatever was queued before it has been considered and, if it is still queued, was left waiting.
     */
    void awaitTwoDispatchRounds() {
        double before = server.metric("beacon_jobs_dispatch_rounds_total");
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
                .until(() -> server.metric("beacon_jobs_dispatch_rounds_total") >= before + 2);
    }

    static Map<String, HandlerConfig> handler(String kind, Integer timeoutS, String... command) {
        Map<String, HandlerConfig> handlers = new LinkedHashMap<>();
        handlers.put(kind, new HandlerConfig(List.of(command), timeoutS));
        return handlers;
    }

    @Override
    public void close() {
        agents.forEach(AgentConnection::abort);
    }
}
