package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * A clean shutdown drains the node first: {@code /readyz} answers 503 {@code server_draining} while {@code /healthz}
 * stays 200, new agents are refused, no new job goes to its agents, and a job its agent runs may end within the
 * grace period; a job still held after the grace goes back to the queue with its attempt given back, so it succeeds
 * later even with {@code max_attempts} 1. Real server, real agent sockets, both databases.
 */
@BeaconTest
class ShutdownDrainTest {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    @Parameter
    Backend backend;

    TestServer server;

    private static String token(TestServer server, String key, String name) {
        return server.claim(key, name).json().get("robot_token").asText();
    }

    private static String submit(TestServer server, String body) {
        TestServer.Response submitted = server.post("/api/jobs", body, server.adminKey());
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        return submitted.json().get("id").asText();
    }

    private static JsonNode job(TestServer server, String jobId) {
        return server.get("/api/jobs/" + jobId, server.adminKey()).json();
    }

    /** The one robot's status and the reason its connection row was closed with. */
    private static String departure(String databaseUrl) throws SQLException {
        try (Connection connection = DriverManager.getConnection(databaseUrl);
             ResultSet row = connection.createStatement().executeQuery(
                     "SELECT r.status, c.reason FROM robots r JOIN robot_connections c ON c.robot_id = r.id")) {
            assertThat(row.next()).isTrue();
            String departure = row.getString(1) + " | " + row.getString(2);
            assertThat(row.next()).as("one robot, one connection").isFalse();
            return departure;
        }
    }

    private static void finish(RawAgentSocket socket, String jobId) {
        socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"succeeded\",\"output\":\"done\",\"exit_code\":0}");
    }

    @Test
    void a_draining_node_is_not_ready_takes_no_new_agents_or_jobs_and_lets_a_running_job_finish() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        String busyToken = token(server, key, "drain-busy");
        String idleToken = token(server, key, "drain-idle");
        String lateToken = token(server, key, "drain-late");
        String base = server.baseUrl();
        Thread closer;
        try (RawAgentSocket busy = RawAgentSocket.connect(base, busyToken)) {
            busy.hello().next("welcome");
            String running = submit(server, "{\"kind\":\"echo\",\"payload\":\"long\",\"max_attempts\":1}");
            assertThat(busy.next("job.assign").get("job_id").asText()).isEqualTo(running);
            busy.send("{\"type\":\"job.accepted\",\"job_id\":\"" + running + "\"}");
            await().atMost(CLOSE_WAIT).until(() -> "running".equals(job(server, running).path("status").asText()));

            try (RawAgentSocket idle = RawAgentSocket.connect(base, idleToken)) {
                idle.hello().next("welcome");
                closer = Thread.ofPlatform().name("test-close").start(() -> server.server().close());

                await().atMost(CLOSE_WAIT).until(() -> server.get("/readyz", null).status() == 503);
                TestServer.Response ready = server.get("/readyz", null);
                assertThat(ready.code()).isEqualTo("server_draining");
                assertThat(ready.raw().headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
                assertThat(server.get("/healthz", null).status()).isEqualTo(200);
                assertThatThrownBy(() -> RawAgentSocket.connect(base, lateToken))
                        .isInstanceOfSatisfying(RawAgentSocket.Refused.class, refused -> assertThat(refused.status).isEqualTo(503));

                // The idle robot is connected here, but a draining node gives out no job: it waits for another node.
                TestServer.Response meanwhile = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":\"later\"}", server.adminKey());
                assertThat(meanwhile.json().get("status").asText()).as(meanwhile.body()).isEqualTo("queued");
                String waiting = meanwhile.json().get("id").asText();
                assertThatThrownBy(() -> idle.next("job.assign")).isInstanceOf(AssertionError.class); // 5 s and more than 2 sweeps
                assertThat(job(server, waiting).get("status").asText()).isEqualTo("queued");
                assertThat(closer.isAlive()).as("the drain still waits for the running job").isTrue();

                finish(busy, running);
                closer.join(CLOSE_WAIT.toMillis());
                assertThat(closer.isAlive()).as("the drain ends once the running job ended").isFalse();
                assertThat(busy.next("bye").get("reason").asText()).isEqualTo("shutdown");
                assertThat(idle.next("bye").get("reason").asText()).isEqualTo("shutdown");

                server.restart();
                JsonNode done = job(server, running);
                assertThat(done.get("status").asText()).isEqualTo("succeeded");
                assertThat(done.get("attempts").asInt()).isEqualTo(1);
                JsonNode stillQueued = job(server, waiting);
                assertThat(stillQueued.get("status").asText()).isEqualTo("queued");
                assertThat(stillQueued.get("attempts").asInt()).isZero();
            }
        }
    }

    @Test
    void a_job_held_past_the_grace_goes_back_to_the_queue_with_its_attempt_given_back_and_succeeds_after_the_restart()
            throws Exception {
        try (TestServer node = TestServer.start(backend, config -> config.withShutdownGrace(Duration.ofSeconds(1)))) {
            String token = token(node, node.enrollmentKey(1).get("key_value").asText(), "drain-stuck");
            String jobId;
            try (RawAgentSocket agent = RawAgentSocket.connect(node.baseUrl(), token)) {
                agent.hello().next("welcome");
                jobId = submit(node, "{\"kind\":\"echo\",\"payload\":\"again\",\"max_attempts\":1}");
                JsonNode assign = agent.next("job.assign");
                assertThat(assign.get("job_id").asText()).isEqualTo(jobId);
                assertThat(assign.get("attempt").asInt()).isEqualTo(1);
                agent.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
                await().atMost(CLOSE_WAIT).until(() -> "running".equals(job(node, jobId).path("status").asText()));

                long started = System.nanoTime();
                node.server().close(); // the agent never answers: the grace of 1 s runs out
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
                assertThat(agent.next("bye").get("reason").asText()).isEqualTo("shutdown");
            }
            // Written by the shutdown itself, not left to the next start (which would say server_restart).
            String url = node.databaseUrl().isEmpty() ? "jdbc:sqlite:" + node.dataDir().resolve("beacon.db") : node.databaseUrl();
            assertThat(departure(url)).isEqualTo("offline | shutdown");

            node.restart();
            JsonNode requeued = job(node, jobId);
            assertThat(requeued.get("status").asText()).isEqualTo("queued");
            assertThat(requeued.get("attempts").asInt()).as(requeued.toString()).isZero();
            assertThat(requeued.get("error").asText()).contains("shut down").contains("does not count").endsWith("queued again");

            try (RawAgentSocket agent = RawAgentSocket.connect(node.baseUrl(), token)) {
                agent.hello().next("welcome");
                JsonNode assign = agent.next("job.assign");
                assertThat(assign.get("job_id").asText()).isEqualTo(jobId);
                assertThat(assign.get("attempt").asInt()).isEqualTo(1);
                agent.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
                finish(agent, jobId);
                await().atMost(CLOSE_WAIT).until(() -> "succeeded".equals(job(node, jobId).path("status").asText()));
                assertThat(job(node, jobId).get("attempts").asInt()).isEqualTo(1);
            }
        }
    }
}
