package dev.beacon.robots;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * {@code PUT /api/robots/{id}/labels} on both databases: setting, replacing and removing an operator's labels, the
 * robot showing them apart from its agent's and merged as {@code labels}, each change audited, refusals as problem
 * JSON, and an agent's {@code hello} replacing only its own labels.
 */
@BeaconTest
class OperatorLabelsApiTest {
    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void an_admin_sets_replaces_and_removes_operator_labels_and_the_robot_shows_both_sets() {
        Enrolled robot = enroll("bot-1");

        TestServer.Response set = put(robot.id(), "{\"labels\":{\"zone\":\"b\",\"rack\":\"7\"}}", server.adminKey());
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(set.json().get("labels").toString()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");
        assertThat(set.json().get("agent_labels").toString()).isEqualTo("{\"zone\":\"a\"}");
        assertThat(set.json().get("operator_labels").toString()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");
        JsonNode read = server.get("/api/robots/" + robot.id(), server.adminKey()).json();
        assertThat(read.get("operator_labels")).isEqualTo(set.json().get("operator_labels"));
        JsonNode listed = server.get("/api/robots", server.adminKey()).json().get("items").get(0);
        assertThat(listed.get("labels").toString()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");

        JsonNode replaced = put(robot.id(), "{\"labels\":{\"rack\":\"8\"}}", server.adminKey()).json();
        assertThat(replaced.get("operator_labels").toString()).isEqualTo("{\"rack\":\"8\"}");
        assertThat(replaced.get("labels").toString()).as("the agent's zone=a applies again").isEqualTo("{\"rack\":\"8\",\"zone\":\"a\"}");

        JsonNode cleared = put(robot.id(), "{\"labels\":{}}", server.adminKey()).json();
        assertThat(cleared.get("operator_labels").toString()).isEqualTo("{}");
        assertThat(cleared.get("labels").toString()).isEqualTo("{\"zone\":\"a\"}");
        assertThat(put(robot.id(), "{\"labels\":{}}", server.adminKey()).status()).as("no change is fine too").isEqualTo(200);

        JsonNode events = server.get("/api/audit?action=robot.labels_set", server.adminKey()).json().get("items");
        assertThat(events).as("three changes, the unchanged PUT not audited").hasSize(3);
        List<String> details = new ArrayList<>();
        events.forEach(event -> details.add(event.get("detail").asText()));
        assertThat(details).containsExactlyInAnyOrder("operator labels: rack=7, zone=b (were: none)",
                "operator labels: rack=8 (were: rack=7, zone=b)", "operator labels: none (were: rack=8)");
        assertThat(events.get(0).get("target_id").asText()).isEqualTo(robot.id());
    }

    @Test
    void malformed_labels_are_refused_as_validation_failed_and_change_nothing() {
        Enrolled robot = enroll("bot-2");
        assertThat(put(robot.id(), "{\"labels\":{\"keep\":\"1\"}}", server.adminKey()).status()).isEqualTo(200);
        StringBuilder fiftyOne = new StringBuilder("{\"labels\":{");
        for (int i = 0; i < 51; i++) {
            fiftyOne.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        fiftyOne.append("}}");
        List<String> bodies = List.of("{}", "{\"labels\":null}", "{\"labels\":[]}", "{\"labels\":\"zone=a\"}", "{\"labels\":{\"zone\":7}}",
                "{\"labels\":{\"\":\"x\"}}", "{\"labels\":{\"bad key\":\"x\"}}", "{\"labels\":{\"-zone\":\"x\"}}", "{\"labels\":{\"zone.\":\"x\"}}",
                "{\"labels\":{\"z\\u00f6ne\":\"x\"}}", "{\"labels\":{\"" + "k".repeat(64) + "\":\"x\"}}", "{\"labels\":{\"zone\":\"\"}}",
                "{\"labels\":{\"zone\":\"" + "v".repeat(201) + "\"}}", "{\"labels\":{\"zone\":\"a\\u0001\"}}", fiftyOne.toString(),
                "not json", "[1]", "{\"labels\":{\"zone\":{\"nested\":\"x\"}}}");
        for (String body : bodies) {
            TestServer.Response refused = put(robot.id(), body, server.adminKey());
            assertThat(refused.status()).as(body + " → " + refused.body()).isEqualTo(400);
            assertThat(refused.code()).as(body).isEqualTo("validation_failed");
            assertThat(refused.raw().headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        }
        assertThat(put(robot.id(), "{\"labels\":{\"bad key\":\"x\"}}", server.adminKey()).json().get("detail").asText())
                .contains("'bad key'", "letters, digits");
        assertThat(server.get("/api/robots/" + robot.id(), server.adminKey()).json().get("operator_labels").toString())
                .isEqualTo("{\"keep\":\"1\"}");

        // The limits themselves are fine: 50 labels, a 63-character key, a 200-character value.
        StringBuilder fifty = new StringBuilder("{\"labels\":{\"" + "k".repeat(63) + "\":\"" + "v".repeat(200) + "\"");
        for (int i = 1; i < 50; i++) {
            fifty.append(",\"rack.row/").append(i).append("\":\"x\"");
        }
        fifty.append("}}");
        TestServer.Response limits = put(robot.id(), fifty.toString(), server.adminKey());
        assertThat(limits.status()).as(limits.body()).isEqualTo(200);
        assertThat(limits.json().get("operator_labels").size()).isEqualTo(50);
    }

    @Test
    void only_admins_set_labels_and_only_on_robots_of_their_organization_that_are_not_removed() {
        Enrolled robot = enroll("bot-3");
        String body = "{\"labels\":{\"zone\":\"b\"}}";
        assertThat(put(robot.id(), body, server.createApiKey("reader", "read")).code()).isEqualTo("forbidden");
        assertThat(put(robot.id(), body, server.createApiKey("ci", "jobs")).code()).isEqualTo("forbidden");
        assertThat(put(robot.id(), body, null).code()).isEqualTo("unauthorized");
        assertThat(put("rob_nope", body, server.adminKey()).code()).isEqualTo("not_found");
        assertThat(server.get("/api/robots/" + robot.id(), server.adminKey()).json().get("operator_labels").toString()).isEqualTo("{}");

        assertThat(server.delete("/api/robots/" + robot.id(), server.adminKey()).status()).isEqualTo(204);
        TestServer.Response removed = put(robot.id(), body, server.adminKey());
        assertThat(removed.status()).isEqualTo(404);
        assertThat(removed.code()).isEqualTo("not_found");
    }

    @Test
    void the_agents_hello_replaces_its_own_labels_and_never_the_operators() throws Exception {
        Enrolled robot = enroll("bot-4");
        assertThat(put(robot.id(), "{\"labels\":{\"rack\":\"7\",\"zone\":\"b\"}}", server.adminKey()).status()).isEqualTo(200);

        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), robot.token())) {
            socket.send("{\"type\":\"hello\",\"hostname\":\"raw\",\"os\":\"linux\",\"arch\":\"amd64\",\"agent_version\":\"test\","
                    + "\"capabilities\":[\"echo\"],\"labels\":{\"zone\":\"c\",\"gpu\":\"yes\"}}");
            socket.next("welcome");
            JsonNode online = server.get("/api/robots/" + robot.id(), server.adminKey()).json();
            assertThat(online.get("agent_labels").toString()).isEqualTo("{\"gpu\":\"yes\",\"zone\":\"c\"}");
            assertThat(online.get("operator_labels").toString()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");
            assertThat(online.get("labels").toString()).as("the operator's zone wins").isEqualTo("{\"gpu\":\"yes\",\"rack\":\"7\",\"zone\":\"b\"}");
        }
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), robot.token())) {
            socket.hello().next("welcome"); // a hello with no labels at all
            JsonNode again = server.get("/api/robots/" + robot.id(), server.adminKey()).json();
            assertThat(again.get("agent_labels").toString()).isEqualTo("{}");
            assertThat(again.get("operator_labels").toString()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");
            assertThat(again.get("labels").toString()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");
        }
    }

    private record Enrolled(String id, String token) {
    }

    private Enrolled enroll(String name) {
        String key = server.enrollmentKey(5).get("key_value").asText();
        TestServer.Response enrolled = server.post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"" + name
                + "\",\"capabilities\":[\"echo\"],\"labels\":{\"zone\":\"a\"}}", null);
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        return new Enrolled(enrolled.json().get("robot_id").asText(), enrolled.json().get("robot_token").asText());
    }

    private TestServer.Response put(String robotId, String body, String apiKey) {
        return server.send(server.request("/api/robots/" + robotId + "/labels", apiKey).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }
}
