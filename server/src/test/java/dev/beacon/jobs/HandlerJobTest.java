package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** Command handlers run through the whole system: timeouts and cancels kill the process, payloads are only data. */
@BeaconTest
class HandlerJobTest {
    @Parameter
    Backend backend;

    @TempDir
    Path tmp;
    TestServer server;
    RealAgents fleet;

    @BeforeEach
    void start() {
        fleet = new RealAgents(server, tmp);
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    /** A handler that records its process id, then sleeps 30 s in that same process. */
    private RealAgents.Agent sleeper(String name) throws Exception {
        Path pidFile = tmp.resolve(name + ".pid");
        return fleet.start(server.enrollmentKey(5).get("key_value").asText(), name, java.util.Map.of(),
                RealAgents.handler("long", null, "sh", "-c", "echo $$ > " + pidFile + "; exec sleep 30"));
    }

    private ProcessHandle awaitProcess(String name) {
        Path pidFile = tmp.resolve(name + ".pid");
        await().atMost(RealAgents.WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return ProcessHandle.of(pid).orElseThrow();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void a_job_past_its_timeout_ends_timed_out_and_its_process_is_killed() throws Exception {
        sleeper("slow-bot");
        String jobId = fleet.submitId("{\"kind\":\"long\",\"timeout_s\":1,\"max_attempts\":1}");
        ProcessHandle process = awaitProcess("slow-bot");

        JsonNode job = fleet.awaitStatus(jobId, "timed_out");

        assertThat(job.get("error").asText()).contains("no attempts left");
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
    }

    @Test
    void cancelling_a_running_command_stops_it_and_ends_the_job_cancelled() throws Exception {
        RealAgents.Agent agent = sleeper("busy-bot");
        String jobId = fleet.submitId("{\"kind\":\"long\",\"timeout_s\":120}");
        fleet.awaitStatus(jobId, "running");
        ProcessHandle process = awaitProcess("busy-bot");

        TestServer.Response cancel = server.post("/api/jobs/" + jobId + "/cancel", "{}", server.adminKey());

        assertThat(cancel.status()).isEqualTo(202);
        assertThat(cancel.json().get("cancel_requested").asBoolean()).isTrue();
        assertThat(fleet.awaitStatus(jobId, "cancelled").get("attempts").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
        assertThat(fleet.robot(agent.robotId()).get("status").asText()).isEqualTo("online");
    }

    @Test
    void a_handler_gets_the_payload_on_stdin_and_no_shell_ever_interprets_it() throws Exception {
        Path out = tmp.resolve("out.json");
        Path canary = Files.writeString(tmp.resolve("x"), "still here");
        fleet.start(server.enrollmentKey(5).get("key_value").asText(), "stdin-bot", java.util.Map.of(),
                RealAgents.handler("record", null, "sh", "-c", "cat > " + out));
        String payload = "{\"note\":\"; rm -rf " + canary + "\",\"sub\":\"$(touch " + tmp.resolve("pwned") + ")\",\"tick\":\"`id`\"}";

        String jobId = fleet.submitId("{\"kind\":\"record\",\"payload\":" + payload + "}");

        JsonNode job = fleet.awaitStatus(jobId, "succeeded");
        assertThat(job.get("exit_code").asInt()).isZero();
        assertThat(TestServer.JSON.readTree(Files.readString(out))).isEqualTo(TestServer.JSON.readTree(payload));
        assertThat(canary).exists();
        assertThat(tmp.resolve("pwned")).doesNotExist();
    }

    @Test
    void a_handler_is_told_its_job_id_and_which_attempt_it_runs() throws Exception {
        // The first attempt hangs past its timeout; the second one, told it is attempt 2, answers at once.
        fleet.start(server.enrollmentKey(5).get("key_value").asText(), "attempt-bot", java.util.Map.of(),
                RealAgents.handler("whoami", null, "sh", "-c",
                        "if [ \"$BEACON_JOB_ATTEMPT\" = 1 ]; then exec sleep 30; fi; printf '%s %s' \"$BEACON_JOB_ID\" \"$BEACON_JOB_ATTEMPT\""));

        String jobId = fleet.submitId("{\"kind\":\"whoami\",\"timeout_s\":1,\"max_attempts\":2}");

        JsonNode job = fleet.awaitStatus(jobId, "succeeded");
        assertThat(job.get("attempts").asInt()).isEqualTo(2);
        assertThat(job.get("output").asText()).isEqualTo(jobId + " 2");
    }
}
