package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.store.Database;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * JSON nesting on both databases: input (request bodies, agent frames) is limited to {@link JsonInput#MAX_DEPTH}
 * levels; whatever is already stored, however deep, stays readable.
 */
@BeaconTest
class DeepJsonTest {
    /** Deeper than anything Jackson's old default limit (1000) let in, so deeper than any row a past version stored. */
    private static final int STORED_DEPTH = 1500;

    @Parameter
    Backend backend;

    TestServer server;
    String robotId;
    String robotToken;

    @BeforeEach
    void start() {
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), "deep-bot").json();
        robotId = enrolled.get("robot_id").asText();
        robotToken = enrolled.get("robot_token").asText();
    }

    /** {@code levels} levels of alternating objects and arrays: {"a":[{"a":[…1…]}]}. */
    static String nested(int levels) {
        StringBuilder json = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            json.append(i % 2 == 0 ? "{\"a\":" : "[");
        }
        json.append('1');
        for (int i = levels - 1; i >= 0; i--) {
            json.append(i % 2 == 0 ? '}' : ']');
        }
        return json.toString();
    }

    @Test
    void a_job_row_stored_deeper_than_any_limit_is_readable_in_the_job_list_the_job_and_its_robot() throws Exception {
        TestServer.Response submitted = server.post("/api/jobs",
                "{\"kind\":\"echo\",\"target\":{\"robot_id\":\"" + robotId + "\"}}", server.adminKey());
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        String jobId = submitted.json().get("id").asText();
        // As a version without the input limit could have stored it: straight into the table.
        String url = server.databaseUrl().isEmpty() ? Database.sqliteUrl(server.dataDir()) : server.databaseUrl();
        try (Connection connection = DriverManager.getConnection(url);
             PreparedStatement update = connection.prepareStatement(
                     "UPDATE jobs SET payload = ?, output = ?, status = 'succeeded', robot_id = ?, exit_code = 0, "
                             + "finished_at = created_at WHERE id = ?")) {
            update.setString(1, nested(STORED_DEPTH));
            update.setString(2, nested(STORED_DEPTH));
            update.setString(3, robotId);
            update.setString(4, jobId);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }

        TestServer.Response list = server.get("/api/jobs", server.adminKey());
        TestServer.Response job = server.get("/api/jobs/" + jobId, server.adminKey());
        TestServer.Response robot = server.get("/api/robots/" + robotId, server.adminKey());

        assertThat(list.status()).as(list.body()).isEqualTo(200);
        assertThat(job.status()).as(job.body()).isEqualTo(200);
        assertThat(robot.status()).as(robot.body()).isEqualTo(200);
        assertThat(list.body()).contains(jobId).contains(nested(STORED_DEPTH));
        assertThat(job.body()).contains("\"payload\":" + nested(STORED_DEPTH)).contains("\"output\":" + nested(STORED_DEPTH));
        assertThat(robot.body()).contains(jobId).contains(nested(STORED_DEPTH));
    }

    @Test
    void a_job_whose_body_nests_33_levels_is_refused_with_json_too_deep_and_32_levels_are_accepted() {
        String adminKey = server.adminKey();
        // The body's own object is the first level, so a payload of 31 levels makes 32.
        TestServer.Response atLimit = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":" + nested(JsonInput.MAX_DEPTH - 1) + "}", adminKey);
        TestServer.Response overLimit = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":" + nested(JsonInput.MAX_DEPTH) + "}", adminKey);
        TestServer.Response farOver = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":" + nested(998) + "}", adminKey);

        assertThat(atLimit.status()).as(atLimit.body()).isEqualTo(202);
        for (TestServer.Response refused : new TestServer.Response[] {overLimit, farOver}) {
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);
            assertThat(refused.raw().headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(refused.code()).isEqualTo("json_too_deep");
        }
        assertThat(server.get("/api/jobs", adminKey).status()).isEqualTo(200);
    }

    @Test
    void other_json_bodies_nested_too_deep_are_refused_with_json_too_deep() {
        TestServer.Response site = server.post("/api/sites", "{\"name\":\"deep\",\"x\":" + nested(40) + "}", server.adminKey());

        assertThat(site.status()).as(site.body()).isEqualTo(400);
        assertThat(site.code()).isEqualTo("json_too_deep");
    }

    @Test
    void an_agent_frame_nested_too_deep_is_answered_with_an_error_frame_and_the_socket_keeps_working() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), robotToken)) {
            socket.hello().next("welcome");

            JsonNode answer = socket.send("{\"type\":\"job.result\",\"job_id\":\"job_x\",\"output\":" + nested(JsonInput.MAX_DEPTH) + "}").next();
            JsonNode farOver = socket.send("{\"type\":\"nonsense\",\"x\":" + nested(2000) + "}").next();
            JsonNode later = socket.send("{\"type\":\"nonsense\"}").next();

            assertThat(answer.get("type").asText()).isEqualTo("error");
            assertThat(answer.get("code").asText()).isEqualTo("malformed_frame");
            assertThat(farOver.get("code").asText()).isEqualTo("malformed_frame");
            assertThat(later.get("code").asText()).isEqualTo("unknown_frame");
            assertThat(socket.isClosed()).isFalse();
        }
    }
}
