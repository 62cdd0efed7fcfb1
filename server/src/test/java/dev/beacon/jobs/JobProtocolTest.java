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

/** The job frames against a hand-driven agent socket: refusals, silent agents, and malformed results. */
@BeaconTest
class JobProtocolTest {
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
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), "raw-bot").json();
        token = enrolled.get("robot_token").asText();
        robotId = enrolled.get("robot_id").asText();
    }

    /** Waits for a frame of {@code type} for up to about {@code seconds}. */
    private static JsonNode await(RawAgentSocket socket, String type, int seconds) throws InterruptedException {
        AssertionError last = null;
        for (int i = 0; i < Math.max(1, seconds / 5); i++) {
            try {
                return socket.next(type);
            } catch (AssertionError e) {
                last = e;
            }
        }
        throw last;
    }

    @Test
    void a_job_refused_before_it_started_is_offered_again_and_can_then_succeed() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            String jobId = fleet.submitId("{\"kind\":\"echo\",\"payload\":[1],\"max_attempts\":2,\"timeout_s\":30}");

            JsonNode first = socket.next("job.assign");
            assertThat(first.get("job_id").asText()).isEqualTo(jobId);
            assertThat(first.get("timeout_s").asInt()).isEqualTo(30);
            assertThat(first.get("attempt").asInt()).isEqualTo(1);
            socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"failed\",\"error\":\"busy\"}");
            JsonNode second = socket.next("job.assign");
            assertThat(second.get("job_id").asText()).isEqualTo(jobId);
            assertThat(second.get("attempt").asInt()).isEqualTo(2);
            socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
            socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"succeeded\",\"output\":[1],\"exit_code\":null}");

            JsonNode done = fleet.awaitStatus(jobId, "succeeded");
            assertThat(done.get("attempts").asInt()).isEqualTo(2);
            assertThat(done.get("output").toString()).isEqualTo("[1]");
        }
    }

    @Test
    void an_agent_that_never_reports_gets_a_cancel_and_the_job_times_out() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            String jobId = fleet.submitId("{\"kind\":\"echo\",\"timeout_s\":1,\"max_attempts\":1}");
            socket.next("job.assign");
            socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");

            JsonNode cancel = await(socket, "job.cancel", 15);

            assertThat(cancel.get("job_id").asText()).isEqualTo(jobId);
            JsonNode job = fleet.awaitStatus(jobId, "timed_out");
            assertThat(job.get("error").asText()).contains("no result from robot").contains("no attempts left");
        }
    }

    @Test
    void malformed_job_frames_get_error_frames_and_stray_results_are_ignored() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            assertThat(socket.send("{\"type\":\"job.result\"}").next("error").get("code").asText()).isEqualTo("invalid_job_frame");
            assertThat(socket.send("{\"type\":\"job.result\",\"job_id\":\"job_x\",\"status\":\"exploded\"}").next("error")
                    .get("code").asText()).isEqualTo("invalid_job_frame");
            socket.send("{\"type\":\"job.result\",\"job_id\":\"job_x\",\"status\":\"succeeded\"}");
            socket.send("{\"type\":\"job.progress\",\"job_id\":\"job_x\"}");
            socket.send("{\"type\":\"heartbeat\"}");
            assertThat(socket.next().get("type").asText()).isEqualTo("heartbeat.ack");
            assertThat(fleet.robot(robotId).get("status").asText()).isEqualTo("online");
        }
    }
}
