package dev.beacon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two server nodes on one PostgreSQL database, in this JVM: what is decided on node A reaches the agent socket, the
 * idle robot or the key cache on node B within a second, through {@code NOTIFY beacon_signals}. Both nodes start
 * before any agent connects (a starting node still marks every robot offline until nodes own their robots). Runs on
 * JUnit's thread; the raw agent sockets receive on the HTTP client's threads.
 */
class SignalsAcrossNodesTest {
    /** The bound the signals promise; the 1-second sweeps and the 1-second key cache are not fast enough for it alone. */
    private static final Duration WITHIN = Duration.ofSeconds(1);
    /** Handovers node B received, by where the job came from. */
    private static final String HANDOVERS = "beacon_jobs_handovers_received_total";

    private TestServer nodeA;
    private BeaconServer nodeB;
    private Path dataDirB;
    private String token;
    private String robotId;

    @BeforeEach
    void start() throws Exception {
        nodeA = TestServer.start(Backend.POSTGRESQL);
        dataDirB = Files.createTempDirectory("beacon-node-b-");
        // All nodes share the secret key; node A wrote it at its first start.
        Files.copy(nodeA.dataDir().resolve("secret.key"), dataDirB.resolve("secret.key"));
        nodeB = BeaconServer.start(ServerConfig.defaults(dataDirB).withPort(0).withDatabaseUrl(nodeA.databaseUrl())
                .withAdminPassword("test-password"));
        JsonNode enrolled = nodeA.claim(nodeA.enrollmentKey(5).get("key_value").asText(), "far-bot").json();
        token = enrolled.get("robot_token").asText();
        robotId = enrolled.get("robot_id").asText();
    }

    @AfterEach
    void stop() {
        if (nodeB != null) {
            nodeB.close();
        }
        nodeA.close();
    }

    @Test
    void a_job_submitted_on_one_node_is_given_to_the_idle_agent_on_another_in_its_submit() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            int fast = 0;
            for (int i = 0; i < 5; i++) {
                long submitted = System.nanoTime();
                JsonNode job = nodeA.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":[" + i + "]}", nodeA.adminKey()).json();
                String jobId = job.get("id").asText();
                JsonNode assign = agent.next("job.assign");
                long millis = (System.nanoTime() - submitted) / 1_000_000;

                // Node A claimed the robot on node B in the statement that stored the job, and told B to send it.
                assertThat(job.get("status").asText()).isEqualTo("assigned");
                assertThat(job.get("robot_id").asText()).isEqualTo(robotId);
                assertThat(assign.get("job_id").asText()).isEqualTo(jobId);
                assertThat(millis).as("submit on A to job.assign on B, ms").isLessThan(WITHIN.toMillis());
                fast += millis < 250 ? 1 : 0;
                agent.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
                agent.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"succeeded\",\"output\":[" + i + "]}");
                await().atMost(Duration.ofSeconds(5)).until(() -> "succeeded".equals(nodeA.get("/api/jobs/" + jobId, nodeA.adminKey())
                        .json().path("status").asText()));
            }
            // Node B's once-a-second sweep alone would find a job within 250 ms a quarter of the time: four of five
            // that fast would happen about once in sixty runs without the signal.
            assertThat(fast).as("jobs assigned within 250 ms").isGreaterThanOrEqualTo(4);
            assertThat(metric(nodeB, "beacon_cluster_signals_received_total", "kind=\"job_handover\"")).isGreaterThanOrEqualTo(5);
            // Each job came with its signal: node B sent it without reading it.
            assertThat(metric(nodeB, HANDOVERS, "source=\"signal\"")).isEqualTo(5);
            assertThat(metric(nodeB, HANDOVERS, "source=\"database\"")).isZero();
        }
    }

    @Test
    void a_job_too_large_for_its_signal_is_read_by_id_on_the_node_holding_the_agent() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            String blob = "x".repeat(SignalSender.MAX_CARRIED_BYTES + 1);

            JsonNode job = nodeA.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":{\"blob\":\"" + blob + "\"}}", nodeA.adminKey()).json();
            JsonNode assign = agent.next("job.assign");

            assertThat(job.get("status").asText()).isEqualTo("assigned");
            assertThat(assign.get("job_id").asText()).isEqualTo(job.get("id").asText());
            assertThat(assign.get("payload").get("blob").asText()).isEqualTo(blob);
            assertThat(assign.get("attempt").asInt()).isEqualTo(1);
            assertThat(metric(nodeB, HANDOVERS, "source=\"database\"")).isEqualTo(1);
            assertThat(metric(nodeB, HANDOVERS, "source=\"signal\"")).isZero();
        }
    }

    @Test
    void a_cancel_right_after_the_submit_stops_a_job_its_signal_carried_on_either_node() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            for (boolean onHoldingNode : new boolean[] {false, true}) {
                String jobId = nodeA.post("/api/jobs", "{\"kind\":\"echo\",\"timeout_s\":300}", nodeA.adminKey()).json().get("id").asText();
                // Asked on node B, the cancel may well be recorded before B received the handover.
                String cancelPath = "/api/jobs/" + jobId + "/cancel";
                int status = onHoldingNode ? post(nodeB, cancelPath, "{}").status() : nodeA.post(cancelPath, "{}", nodeA.adminKey()).status();

                assertThat(status).isEqualTo(202);
                List<String> frames = List.of(nextAbout(agent, jobId).get("type").asText(), nextAbout(agent, jobId).get("type").asText());
                assertThat(frames).as("cancel asked on node B: " + onHoldingNode).containsExactly("job.assign", "job.cancel");
                agent.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"cancelled\"}");
                await().atMost(Duration.ofSeconds(5)).until(() -> "cancelled".equals(nodeA.get("/api/jobs/" + jobId, nodeA.adminKey())
                        .json().path("status").asText()));
            }
            assertThat(metric(nodeB, HANDOVERS, "source=\"signal\"")).isEqualTo(2);
        }
    }

    @Test
    void a_job_another_node_gave_without_its_signal_arriving_reaches_the_agent_at_the_next_sweep() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            // What a node that died between its commit and its NOTIFY leaves: the job given to the robot, no signal.
            giveWithoutSignal("job_unsignalled");

            JsonNode assign = agent.next("job.assign");

            assertThat(assign.get("job_id").asText()).isEqualTo("job_unsignalled");
            agent.send("{\"type\":\"job.result\",\"job_id\":\"job_unsignalled\",\"status\":\"succeeded\"}");
            await().atMost(Duration.ofSeconds(5)).until(() -> "succeeded".equals(nodeA.get("/api/jobs/job_unsignalled", nodeA.adminKey())
                    .json().path("status").asText()));
        }
    }

    @Test
    void a_job_handed_over_to_a_session_that_ended_meanwhile_goes_back_to_the_queue_with_its_attempt() throws Exception {
        // What node B's database row says while its socket is already gone: online, in a session B no longer holds.
        try (Connection connection = DriverManager.getConnection(nodeA.databaseUrl()); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE robots SET status = 'online', session_id = 'ses_ended', capabilities = '[\"echo\"]', node_id = '" + nodeB.node().id()
                    + "' WHERE id = '" + robotId + "'");
        }

        JsonNode job = nodeA.post("/api/jobs", "{\"kind\":\"echo\",\"target\":{\"robot_id\":\"" + robotId + "\"}}",
                nodeA.adminKey()).json();

        assertThat(job.get("status").asText()).isEqualTo("assigned");
        String jobId = job.get("id").asText();
        await().atMost(Duration.ofSeconds(3)).until(() -> "queued".equals(nodeA.get("/api/jobs/" + jobId, nodeA.adminKey())
                .json().path("status").asText()));
        JsonNode requeued = nodeA.get("/api/jobs/" + jobId, nodeA.adminKey()).json();
        assertThat(requeued.get("attempts").asInt()).as("the attempt that never reached an agent is given back").isZero();
        assertThat(nodeA.get("/api/robots/" + robotId, nodeA.adminKey()).json().path("current_job").isNull()).as("the robot is free again").isTrue();
    }

    @Test
    void a_cancel_on_one_node_reaches_the_agent_running_the_job_on_another() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            String jobId = post(nodeB, "/api/jobs", "{\"kind\":\"echo\",\"timeout_s\":300}").json().get("id").asText();
            agent.next("job.assign");
            agent.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");

            long asked = System.nanoTime();
            assertThat(nodeA.post("/api/jobs/" + jobId + "/cancel", "{}", nodeA.adminKey()).status()).isEqualTo(202);
            JsonNode cancel = agent.next("job.cancel");

            assertThat(cancel.get("job_id").asText()).isEqualTo(jobId);
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(WITHIN);
        }
    }

    @Test
    void a_cancel_recorded_before_the_handover_carrying_the_job_arrives_follows_its_assign() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            String[] orgAndSession = giveWithoutSignal("job_late");
            // Node B records the cancel before the submitting node's handover reaches it; the copy it carries knows nothing of it.
            assertThat(post(nodeB, "/api/jobs/job_late/cancel", "{}").status()).isEqualTo(202);
            try (Connection connection = DriverManager.getConnection(nodeA.databaseUrl());
                 PreparedStatement notify = connection.prepareStatement("SELECT pg_notify('" + PgConnections.CHANNEL + "', ?)")) {
                notify.setString(1, """
                        {"node":"node_x","signals":[{"k":"job_handover","to_node":"%s","org_id":"%s","job_id":"job_late","robot_id":"%s","session_id":"%s"}],
                         "assigns":[{"job_id":"job_late","kind":"echo","payload":{},"timeout_s":60,"attempt":1}]}"""
                        .formatted(nodeB.node().id(), orgAndSession[0], robotId, orgAndSession[1]));
                notify.execute();
            }

            assertThat(nextJobFrame(agent).get("type").asText()).isEqualTo("job.assign");
            assertThat(nextJobFrame(agent).get("type").asText()).isEqualTo("job.cancel");
        }
    }

    @Test
    void revoking_the_token_on_one_node_closes_the_agent_socket_on_another() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            long asked = System.nanoTime();
            assertThat(nodeA.post("/api/robots/" + robotId + "/revoke-token", "{}", nodeA.adminKey()).status()).isEqualTo(200);

            assertThat(agent.next("bye").get("reason").asText()).isEqualTo("revoked");
            assertThat(agent.awaitClosedWithin(WITHIN)).isEqualTo(1000);
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(WITHIN);
        }
    }

    @Test
    void removing_the_robot_on_one_node_closes_the_agent_socket_on_another() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            long asked = System.nanoTime();
            assertThat(nodeA.delete("/api/robots/" + robotId, nodeA.adminKey()).status()).isEqualTo(204);

            assertThat(agent.next("bye").get("reason").asText()).isEqualTo("removed");
            assertThat(agent.awaitClosedWithin(WITHIN)).isEqualTo(1000);
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(WITHIN);
        }
    }

    @Test
    void an_api_key_revoked_on_one_node_is_refused_on_another_before_its_cache_would_expire() {
        JsonNode created = nodeA.post("/api/api-keys", "{\"name\":\"integration\",\"scopes\":[\"read\"]}", nodeA.adminKey()).json();
        String key = created.get("key").asText();
        assertThat(get(nodeB, "/api/robots", key).status()).isEqualTo(200); // node B now holds the key in its cache

        long revoked = System.nanoTime();
        assertThat(nodeA.delete("/api/api-keys/" + created.get("id").asText(), nodeA.adminKey()).status()).isEqualTo(200);

        // Node B's cache would accept the key for up to a second more; the signal makes it forget the key sooner.
        await().atMost(Duration.ofMillis(700)).pollInterval(Duration.ofMillis(20)).until(() -> get(nodeB, "/api/robots", key).status() == 401);
        assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(WITHIN);
    }

    @Test
    void an_operator_rotation_on_one_node_is_sent_by_the_node_holding_the_socket() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");

            TestServer.Response answer = nodeA.post("/api/robots/" + robotId + "/rotate-token", "{}", nodeA.adminKey());

            assertThat(answer.status()).as(answer.body()).isEqualTo(202);
            JsonNode rotated = agent.next("token.rotated");
            assertThat(rotated.get("token").asText()).isNotBlank().isNotEqualTo(token);
            // A second request while the first awaits its acknowledgement is answered by node B's rotation rules.
            assertThat(nodeA.post("/api/robots/" + robotId + "/rotate-token", "{}", nodeA.adminKey()).code()).isEqualTo("token_rotation_pending");
        }
    }

    @Test
    void a_second_connection_on_another_node_replaces_the_first() throws Exception {
        try (RawAgentSocket first = RawAgentSocket.connect(nodeA.baseUrl(), token)) {
            first.hello().next("welcome");
            try (RawAgentSocket second = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
                second.hello().next("welcome");

                assertThat(first.next("bye").get("reason").asText()).isEqualTo("replaced");
                assertThat(first.awaitClosedWithin(WITHIN)).isEqualTo(1000);
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                        nodeA.get("/api/robots/" + robotId, nodeA.adminKey()).json().path("status").asText()).isEqualTo("online"));
                assertThat(second.isClosed()).isFalse();
            }
        }
    }

    @Test
    void the_listener_reconnects_after_its_connection_is_killed_and_signals_arrive_again() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(nodeB.baseUrl(), token)) {
            agent.hello().next("welcome");
            String database = nodeA.databaseUrl().substring(nodeA.databaseUrl().lastIndexOf('/') + 1, nodeA.databaseUrl().indexOf('?'));
            assertThat(terminateListeners(database)).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(nodeB, "beacon_cluster_signals_reconnects_total", "") >= 1
                    && listeners(database) == 2);

            long asked = System.nanoTime();
            nodeA.post("/api/robots/" + robotId + "/revoke-token", "{}", nodeA.adminKey());

            assertThat(agent.next("bye").get("reason").asText()).isEqualTo("revoked");
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(WITHIN);
        }
    }

    /**
     * Gives job {@code jobId} to the robot as another node's submit would, without a signal: assigned now (not past its
     * timeout, which the sweep would requeue). Returns the robot's organization and session.
     */
    private String[] giveWithoutSignal(String jobId) throws Exception {
        try (Connection connection = DriverManager.getConnection(nodeA.databaseUrl()); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE robots SET status = 'busy', current_job_id = '" + jobId + "' WHERE id = '" + robotId + "'");
            statement.executeUpdate("""
                    INSERT INTO jobs (id, org_id, kind, payload, timeout_s, max_attempts, attempts, status, robot_id, session_id,
                                      created_at, queued_at, assigned_at, updated_at)
                    SELECT '%s', org_id, 'echo', '{}', 60, 3, 1, 'assigned', id, session_id, now, now, now, now
                    FROM robots, (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now) AS clock
                    WHERE id = '%s'""".formatted(jobId, robotId));
            try (ResultSet row = statement.executeQuery("SELECT org_id, session_id FROM robots WHERE id = '" + robotId + "'")) {
                row.next();
                return new String[] {row.getString(1), row.getString(2)};
            }
        }
    }

    /** The next frame about job {@code jobId}, skipping others. */
    private static JsonNode nextAbout(RawAgentSocket agent, String jobId) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            JsonNode frame = agent.next();
            if (jobId.equals(frame.path("job_id").asText())) {
                return frame;
            }
        }
        throw new AssertionError("no frame about " + jobId);
    }

    /** The next {@code job.*} frame, skipping others. */
    private static JsonNode nextJobFrame(RawAgentSocket agent) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            JsonNode frame = agent.next();
            if (frame.path("type").asText().startsWith("job.")) {
                return frame;
            }
        }
        throw new AssertionError("no job frame");
    }

    private static int terminateListeners(String database) throws Exception {
        try (Connection connection = DriverManager.getConnection(adminUrl()); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                     + " WHERE datname = '" + database + "' AND application_name = 'beacon-signals-listen'")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static int listeners(String database) throws Exception {
        try (Connection connection = DriverManager.getConnection(adminUrl()); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_stat_activity"
                     + " WHERE datname = '" + database + "' AND application_name = 'beacon-signals-listen'")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static String adminUrl() {
        return System.getenv().getOrDefault("BEACON_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
    }

    private TestServer.Response get(BeaconServer node, String path, String apiKey) {
        return nodeA.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).header("X-Beacon-API-Key", apiKey).GET());
    }

    private TestServer.Response post(BeaconServer node, String path, String body) {
        return nodeA.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).header("X-Beacon-API-Key", nodeA.adminKey())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The sum of the samples of a metric on the node's {@code /metrics} whose labels contain {@code label}. */
    private double metric(BeaconServer node, String name, String label) {
        double sum = 0;
        for (String line : nodeA.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/metrics")).GET()).body().split("\n")) {
            if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
