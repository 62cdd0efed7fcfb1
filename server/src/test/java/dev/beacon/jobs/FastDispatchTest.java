package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * Giving a job to an idle robot in the transaction that stores it, and the in-memory backlog that decides when a
 * new job may do so: never ahead of a job already waiting for that robot, and never lost across a restart.
 */
@BeaconTest
class FastDispatchTest {
    @Parameter
    Backend backend;

    @TempDir
    Path tmp;
    TestServer server;
    RealAgents fleet;
    String token;
    String robotId;

    @BeforeEach
    void start() {
        fleet = new RealAgents(server, tmp);
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), "fast-bot").json();
        token = enrolled.get("robot_token").asText();
        robotId = enrolled.get("robot_id").asText();
    }

    private static void finish(RawAgentSocket socket, String jobId) {
        socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
        socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"succeeded\",\"output\":null,\"exit_code\":0}");
    }

    @Test
    void jobs_waiting_for_a_busy_robot_get_it_by_priority_then_age_and_a_later_job_takes_it_at_submit_once_idle() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            String first = fleet.submitId("{\"kind\":\"echo\",\"payload\":\"first\"}");
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(first);

            TestServer.Response low = fleet.submit("{\"kind\":\"echo\",\"payload\":\"low\"}");
            TestServer.Response high = fleet.submit("{\"kind\":\"echo\",\"payload\":\"high\",\"priority\":5}");
            TestServer.Response lowLater = fleet.submit("{\"kind\":\"echo\",\"payload\":\"low later\"}");
            assertThat(low.json().get("status").asText()).isEqualTo("queued");
            assertThat(low.json().get("waiting_reason").asText()).isEqualTo("waiting for a free robot: 1 matching robot is busy");

            finish(socket, first);
            String highId = socket.next("job.assign").get("job_id").asText();
            assertThat(highId).isEqualTo(high.json().get("id").asText());
            finish(socket, highId);
            String lowId = socket.next("job.assign").get("job_id").asText();
            assertThat(lowId).isEqualTo(low.json().get("id").asText());
            finish(socket, lowId);
            String lowLaterId = socket.next("job.assign").get("job_id").asText();
            assertThat(lowLaterId).isEqualTo(lowLater.json().get("id").asText());
            finish(socket, lowLaterId);
            fleet.awaitStatus(lowLaterId, "succeeded");

            // Nothing waits now and the robot is idle: the next job is given to it by the request that submits it.
            TestServer.Response direct = fleet.submit("{\"kind\":\"echo\",\"payload\":\"direct\"}");
            assertThat(direct.status()).isEqualTo(202);
            assertThat(direct.json().get("status").asText()).as(direct.body()).isEqualTo("assigned");
            assertThat(direct.json().get("robot_id").asText()).isEqualTo(robotId);
            assertThat(direct.json().get("attempts").asInt()).isEqualTo(1);
            assertThat(direct.json().get("waiting_reason").isNull()).isTrue();
            String directId = direct.json().get("id").asText();
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(directId);
            finish(socket, directId);
            assertThat(fleet.awaitStatus(directId, "succeeded").get("attempts").asInt()).isEqualTo(1);
        }
        for (JsonNode job : server.get("/api/jobs?limit=50", server.adminKey()).json().get("items")) {
            assertThat(job.get("status").asText()).isEqualTo("succeeded");
            assertThat(job.get("attempts").asInt()).as(job.toString()).isEqualTo(1);
        }
    }

    @Test
    void a_cancel_right_after_a_job_is_given_at_submit_reaches_the_agent_after_the_job() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            String warmUp = fleet.submitId("{\"kind\":\"echo\"}");
            socket.next("job.assign");
            finish(socket, warmUp);
            fleet.awaitStatus(warmUp, "succeeded");

            String jobId = fleet.submitId("{\"kind\":\"echo\",\"max_attempts\":1}");
            TestServer.Response cancel = server.post("/api/jobs/" + jobId + "/cancel", "{}", server.adminKey());

            assertThat(cancel.status()).isEqualTo(202);
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(jobId);
            assertThat(socket.next("job.cancel").get("job_id").asText()).isEqualTo(jobId);
            socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"cancelled\"}");
            assertThat(fleet.awaitStatus(jobId, "cancelled").get("attempts").asInt()).isEqualTo(1);
        }
    }

    @Test
    void a_job_that_fails_right_after_it_was_accepted_ends_failed_and_is_not_offered_again() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            String jobId = fleet.submitId("{\"kind\":\"echo\",\"max_attempts\":2}");
            socket.next("job.assign");

            // The accept is written late (or never); the result right behind it must still count as one that ran.
            socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
            socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"failed\",\"exit_code\":2,\"error\":\"boom\"}");

            JsonNode failed = fleet.awaitStatus(jobId, "failed");
            assertThat(failed.get("attempts").asInt()).isEqualTo(1);
            assertThat(failed.get("exit_code").asInt()).isEqualTo(2);
            assertThat(failed.get("started_at").isNull()).isFalse();
            socket.send("{\"type\":\"heartbeat\"}");
            assertThat(socket.next().get("type").asText()).isEqualTo("heartbeat.ack"); // not a second job.assign
        }
    }

    @Test
    void a_long_job_shows_running_once_accepted() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            String jobId = fleet.submitId("{\"kind\":\"echo\"}");
            socket.next("job.assign");
            socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");

            JsonNode running = fleet.awaitStatus(jobId, "running");
            assertThat(running.get("started_at").isNull()).isFalse();
            finish(socket, jobId);
            assertThat(fleet.awaitStatus(jobId, "succeeded").get("started_at").asText()).isEqualTo(running.get("started_at").asText());
        }
    }

    @Test
    void a_job_queued_before_a_restart_is_given_once_to_a_robot_that_connects_after_it() throws Exception {
        TestServer.Response submitted = fleet.submit("{\"kind\":\"echo\",\"payload\":\"survives\"}");
        assertThat(submitted.json().get("status").asText()).isEqualTo("queued");
        assertThat(submitted.json().get("waiting_reason").asText()).startsWith("no ");
        String jobId = submitted.json().get("id").asText();

        server.restart();

        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            JsonNode assign = socket.next("job.assign");
            assertThat(assign.get("job_id").asText()).isEqualTo(jobId);
            assertThat(assign.get("payload").asText()).isEqualTo("survives");
            finish(socket, jobId);
            JsonNode done = fleet.awaitStatus(jobId, "succeeded");
            assertThat(done.get("attempts").asInt()).isEqualTo(1);
            assertThat(done.get("robot_id").asText()).isEqualTo(robotId);
        }
    }
}
