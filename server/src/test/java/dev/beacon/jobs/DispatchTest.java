package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** Dispatch with real agents on both databases: volume, lost robots, retries, restarts and targeting. */
@BeaconTest
class DispatchTest {
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

    @Test
    void two_hundred_jobs_over_five_agents_all_succeed_each_run_exactly_once() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        Set<String> robots = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            robots.add(fleet.start(key, "worker-" + i).robotId());
        }
        List<String> jobIds = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            jobIds.add(fleet.submitId("{\"kind\":\"echo\",\"payload\":{\"n\":" + i + "}}"));
        }

        await().atMost(RealAgents.WAIT).pollInterval(Duration.ofMillis(200)).until(() ->
                server.get("/api/jobs?status=succeeded&limit=500", server.adminKey()).json().get("items").size() == 200);

        Map<String, Integer> perRobot = new HashMap<>();
        JsonNode items = server.get("/api/jobs?limit=500", server.adminKey()).json().get("items");
        assertThat(items).hasSize(200);
        for (JsonNode job : items) {
            // One assignment each (attempts counts assignments) and the output proves which payload ran.
            assertThat(job.get("attempts").asInt()).as(job.toString()).isEqualTo(1);
            assertThat(job.get("status").asText()).isEqualTo("succeeded");
            assertThat(job.get("output").get("n").asInt()).isEqualTo(jobIds.indexOf(job.get("id").asText()));
            perRobot.merge(job.get("robot_id").asText(), 1, Integer::sum);
        }
        assertThat(robots).containsAll(perRobot.keySet());
        assertThat(perRobot.size()).isGreaterThan(1);
        String metrics = server.get("/metrics", null).body();
        assertThat(metrics).contains("beacon_jobs_assigned_total{database=\"" + backend.name().toLowerCase() + "\"} 200.0");
    }

    @Test
    void killing_an_agent_mid_job_retries_the_job_on_another_robot() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        Map<String, RealAgents.Agent> agents = new HashMap<>();
        for (String name : List.of("kill-a", "kill-b")) {
            RealAgents.Agent agent = fleet.start(key, name);
            agents.put(agent.robotId(), agent);
        }
        String jobId = fleet.submitId("{\"kind\":\"sleep\",\"payload\":{\"seconds\":2}}");
        String first = fleet.awaitStatus(jobId, "running").get("robot_id").asText();

        agents.get(first).connection().abort();

        JsonNode done = fleet.awaitStatus(jobId, "succeeded");
        assertThat(done.get("robot_id").asText()).isNotEqualTo(first);
        assertThat(done.get("attempts").asInt()).isEqualTo(2);
        assertThat(fleet.robot(first).get("status").asText()).isEqualTo("offline");
    }

    @Test
    void a_job_with_max_attempts_1_whose_robot_dies_ends_failed_with_a_reason() throws Exception {
        RealAgents.Agent agent = fleet.start(server.enrollmentKey(5).get("key_value").asText(), "fragile");
        String jobId = fleet.submitId("{\"kind\":\"sleep\",\"payload\":{\"seconds\":30},\"max_attempts\":1}");
        fleet.awaitStatus(jobId, "running");

        agent.connection().abort();

        JsonNode failed = fleet.awaitStatus(jobId, "failed");
        assertThat(failed.get("error").asText()).contains("disconnected").contains("no attempts left");
        assertThat(failed.get("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void a_server_restart_with_queued_and_running_jobs_loses_none() throws Exception {
        fleet.start(server.enrollmentKey(5).get("key_value").asText(), "survivor");
        String running = fleet.submitId("{\"kind\":\"sleep\",\"payload\":{\"seconds\":3}}");
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            queued.add(fleet.submitId("{\"kind\":\"echo\",\"payload\":" + i + "}"));
        }
        fleet.awaitStatus(running, "running");
        assertThat(fleet.job(queued.get(0)).get("status").asText()).isEqualTo("queued");

        server.restart();

        // The restart drains first: the running job ends within the shutdown grace, on its first attempt.
        assertThat(fleet.awaitStatus(running, "succeeded").get("attempts").asInt()).isEqualTo(1);
        for (int i = 0; i < queued.size(); i++) {
            JsonNode job = fleet.awaitStatus(queued.get(i), "succeeded");
            assertThat(job.get("output").asInt()).isEqualTo(i);
            assertThat(job.get("attempts").asInt()).isEqualTo(1);
        }
    }

    @Test
    void targeting_never_sends_a_job_to_a_robot_that_does_not_match_and_waiting_reason_says_why() throws Exception {
        JsonNode dockKey = server.enrollmentKey(5);
        JsonNode yardKey = server.enrollmentKey(5);
        RealAgents.Agent dock = fleet.start(dockKey.get("key_value").asText(), "dock-bot", Map.of("zone", "a"),
                RealAgents.handler("backup", null, "true"));
        RealAgents.Agent yard = fleet.start(yardKey.get("key_value").asText(), "yard-bot", Map.of("zone", "b"), Map.of());
        String dockFleet = dockKey.get("fleet_id").asText();
        String yardFleet = yardKey.get("fleet_id").asText();

        String backupInYard = fleet.submitId("{\"kind\":\"backup\",\"target\":{\"fleet_id\":\"" + yardFleet + "\"}}");
        String zoneC = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"labels\":{\"zone\":\"c\"}}}");
        String gpu = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"capabilities\":[\"gpu\"]}}");
        String echoZoneB = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"labels\":{\"zone\":\"b\"}}}");
        String backupAnywhere = fleet.submitId("{\"kind\":\"backup\"}");
        String toYard = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"robot_id\":\"" + yard.robotId() + "\"}}");

        assertThat(fleet.awaitStatus(echoZoneB, "succeeded").get("robot_id").asText()).isEqualTo(yard.robotId());
        assertThat(fleet.awaitStatus(backupAnywhere, "succeeded").get("robot_id").asText()).isEqualTo(dock.robotId());
        assertThat(fleet.awaitStatus(toYard, "succeeded").get("robot_id").asText()).isEqualTo(yard.robotId());
        fleet.awaitTwoDispatchRounds(); // with both robots idle: the others must still wait
        assertThat(fleet.job(backupInYard).get("status").asText()).isEqualTo("queued");
        assertThat(fleet.job(backupInYard).get("waiting_reason").asText())
                .startsWith("no robot matches the target: no robot in fleet " + yardKey.get("name").asText().replace("batch-", "fleet-"))
                .contains("advertises `backup`");
        assertThat(fleet.job(zoneC).get("waiting_reason").asText()).contains("with labels zone=c");
        assertThat(fleet.job(gpu).get("waiting_reason").asText()).contains("advertises `echo` and `gpu`");

        // Paused and offline robots are counted, and given nothing.
        assertThat(server.post("/api/robots/" + dock.robotId() + "/pause", "{}", server.adminKey()).status()).isEqualTo(200);
        String pausedBackup = fleet.submitId("{\"kind\":\"backup\",\"target\":{\"fleet_id\":\"" + dockFleet + "\"}}");
        fleet.awaitTwoDispatchRounds();
        JsonNode waiting = fleet.job(pausedBackup);
        assertThat(waiting.get("status").asText()).isEqualTo("queued");
        assertThat(waiting.get("waiting_reason").asText()).startsWith("no online robot in fleet ").endsWith("advertises `backup`: 1 paused");
        JsonNode queue = server.get("/api/queue", server.adminKey()).json();
        assertThat(queue.get("jobs_queued").asInt()).isEqualTo(4);
        assertThat(queue.get("wait_by_fleet").findValuesAsText("id")).contains(dockFleet, yardFleet);

        assertThat(server.post("/api/robots/" + dock.robotId() + "/resume", "{}", server.adminKey()).status()).isEqualTo(200);
        assertThat(fleet.awaitStatus(pausedBackup, "succeeded").get("robot_id").asText()).isEqualTo(dock.robotId());
    }
}
