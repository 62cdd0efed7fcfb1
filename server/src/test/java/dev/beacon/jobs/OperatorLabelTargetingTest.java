package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * Jobs targeted at labels an operator set, with real agents on both databases: they run only on the machine carrying
 * the label (a job already waiting for it starts once it is set), and an operator's label wins over the agent's own
 * label with the same key.
 */
@BeaconTest
class OperatorLabelTargetingTest {
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
    void a_job_for_an_operator_label_runs_on_the_machine_that_has_it_while_the_other_stays_idle() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        RealAgents.Agent plain = fleet.start(key, "plain-bot", Map.of("zone", "a"), Map.of());
        RealAgents.Agent fast = fleet.start(key, "fast-bot", Map.of("zone", "a"), Map.of());

        String waiting = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"labels\":{\"lane\":\"fast\"}}}");
        fleet.awaitTwoDispatchRounds();
        assertThat(fleet.job(waiting).get("status").asText()).as("no machine has the label yet").isEqualTo("queued");

        assertThat(setLabels(fast.robotId(), "{\"labels\":{\"lane\":\"fast\"}}").status()).isEqualTo(200);
        assertThat(fleet.awaitStatus(waiting, "succeeded").get("robot_id").asText()).isEqualTo(fast.robotId());
        List<String> more = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            more.add(fleet.submitId("{\"kind\":\"echo\",\"payload\":{\"n\":" + i + "},\"target\":{\"labels\":{\"lane\":\"fast\"}}}"));
        }
        for (String jobId : more) {
            assertThat(fleet.awaitStatus(jobId, "succeeded").get("robot_id").asText()).isEqualTo(fast.robotId());
        }
        assertThat(fleet.robot(plain.robotId()).get("jobs")).as("the machine without the label ran nothing").isEmpty();
        assertThat(fleet.robot(plain.robotId()).get("status").asText()).isEqualTo("online");
    }

    @Test
    void an_operators_label_wins_over_the_agents_label_with_the_same_key() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        RealAgents.Agent stays = fleet.start(key, "stays-a", Map.of("zone", "a"), Map.of());
        RealAgents.Agent moved = fleet.start(key, "moved-b", Map.of("zone", "a"), Map.of());
        assertThat(setLabels(moved.robotId(), "{\"labels\":{\"zone\":\"b\"}}").json().get("labels").toString()).isEqualTo("{\"zone\":\"b\"}");

        List<String> zoneA = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            zoneA.add(fleet.submitId("{\"kind\":\"echo\",\"payload\":{\"n\":" + i + "},\"target\":{\"labels\":{\"zone\":\"a\"}}}"));
        }
        String zoneB = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"labels\":{\"zone\":\"b\"}}}");
        for (String jobId : zoneA) {
            assertThat(fleet.awaitStatus(jobId, "succeeded").get("robot_id").asText()).isEqualTo(stays.robotId());
        }
        assertThat(fleet.awaitStatus(zoneB, "succeeded").get("robot_id").asText()).isEqualTo(moved.robotId());

        // Removing the operator's label gives the agent's zone=a back.
        assertThat(setLabels(moved.robotId(), "{\"labels\":{}}").status()).isEqualTo(200);
        String noB = fleet.submitId("{\"kind\":\"echo\",\"target\":{\"labels\":{\"zone\":\"b\"}}}");
        fleet.awaitTwoDispatchRounds();
        assertThat(fleet.job(noB).get("status").asText()).isEqualTo("queued");
        assertThat(fleet.job(noB).get("waiting_reason").asText()).contains("with labels zone=b");
    }

    private TestServer.Response setLabels(String robotId, String body) {
        return server.send(server.request("/api/robots/" + robotId + "/labels", server.adminKey()).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }
}
