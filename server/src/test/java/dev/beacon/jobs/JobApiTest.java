package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** The job API with real agents on both databases: submit, read, idempotency, refusals, busy robots, history. */
@BeaconTest
class JobApiTest {
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
    void an_echo_job_submitted_with_a_jobs_key_comes_back_succeeded_with_the_payload_as_output() throws Exception {
        RealAgents.Agent agent = fleet.start(server.enrollmentKey(5).get("key_value").asText(), "echo-bot");
        String jobsKey = server.createApiKey("ci", "jobs");

        TestServer.Response submitted = fleet.submit("{\"kind\":\"echo\",\"payload\":{\"hello\":[1,2,{\"x\":\"y\"}]}}", jobsKey, null);

        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        assertThat(submitted.json().get("max_attempts").asInt()).isEqualTo(3);
        assertThat(submitted.json().get("timeout_s").asInt()).isEqualTo(300);
        String jobId = submitted.json().get("id").asText();
        JsonNode done = fleet.awaitStatus(jobId, "succeeded");
        assertThat(done.get("output").toString()).isEqualTo("{\"hello\":[1,2,{\"x\":\"y\"}]}");
        assertThat(done.get("robot_id").asText()).isEqualTo(agent.robotId());
        assertThat(done.get("attempts").asInt()).isEqualTo(1);
        assertThat(done.get("waiting_reason").isNull()).isTrue();
        JsonNode robot = fleet.robot(agent.robotId());
        assertThat(robot.get("jobs").get(0).get("id").asText()).isEqualTo(jobId);
        assertThat(server.get("/api/jobs?status=succeeded&robot_id=" + agent.robotId(), jobsKey).json().get("items"))
                .extracting(item -> item.get("id").asText()).containsExactly(jobId);
        assertThat(server.get("/api/jobs?status=queued", jobsKey).json().get("items")).isEmpty();
    }

    @Test
    void keys_without_scope_jobs_revoked_keys_and_no_key_are_refused_with_their_codes() {
        String readKey = server.createApiKey("reader", "read");
        String revoked = server.createApiKey("gone", "jobs");
        String revokedId = null;
        for (JsonNode key : server.get("/api/api-keys", server.adminKey()).json().get("items")) {
            if (key.get("name").asText().equals("gone")) {
                revokedId = key.get("id").asText();
            }
        }
        assertThat(server.delete("/api/api-keys/" + revokedId, server.adminKey()).status()).isIn(200, 204);
        String body = "{\"kind\":\"echo\"}";

        TestServer.Response withoutScope = fleet.submit(body, readKey, null);
        TestServer.Response withRevoked = fleet.submit(body, revoked, null);
        TestServer.Response withNone = fleet.submit(body, null, null);

        assertThat(withoutScope.status()).isEqualTo(403);
        assertThat(withoutScope.code()).isEqualTo("forbidden");
        assertThat(withRevoked.status()).isEqualTo(401);
        assertThat(withNone.status()).isEqualTo(401);
        assertThat(withNone.code()).isEqualTo("unauthorized");
        assertThat(server.get("/api/jobs", readKey).status()).isEqualTo(200);
        assertThat(server.post("/api/jobs/job_x/cancel", "{}", readKey).status()).isEqualTo(403);
    }

    @Test
    void invalid_submissions_name_the_field_and_another_orgs_job_is_not_found() {
        String[][] cases = {
                {"{}", "kind"},
                {"{\"kind\":\"has space\"}", "kind"},
                {"{\"kind\":\"echo\",\"timeout_s\":0}", "timeout_s"},
                {"{\"kind\":\"echo\",\"timeout_s\":86401}", "timeout_s"},
                {"{\"kind\":\"echo\",\"max_attempts\":11}", "max_attempts"},
                {"{\"kind\":\"echo\",\"priority\":\"high\"}", "priority"},
                {"{\"kind\":\"echo\",\"target\":[]}", "target"},
                {"{\"kind\":\"echo\",\"target\":{\"labels\":{\"a\":1}}}", "target.labels"},
                {"{\"kind\":\"echo\",\"target\":{\"capabilities\":\"x\"}}", "target.capabilities"},
        };
        for (String[] c : cases) {
            TestServer.Response response = fleet.submit(c[0]);
            assertThat(response.status()).as(c[0]).isEqualTo(400);
            assertThat(response.code()).isEqualTo("validation_failed");
            assertThat(response.json().get("field").asText()).as(c[0]).isEqualTo(c[1]);
        }
        assertThat(fleet.submit("not json").status()).isEqualTo(400);
        assertThat(fleet.submit("{\"kind\":\"echo\",\"target\":{\"fleet_id\":\"flt_nope\"}}").status()).isEqualTo(422);
        assertThat(server.get("/api/jobs?status=bogus", server.adminKey()).status()).isEqualTo(400);

        String jobId = fleet.submitId("{\"kind\":\"echo\"}");
        TestServer.runCli("admin", "org", "create", "--name", "other", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl());
        String otherKey = server.createApiKey("other-admin", "admin", "other");
        assertThat(server.get("/api/jobs/" + jobId, otherKey).status()).isEqualTo(404);
        assertThat(server.post("/api/jobs/" + jobId + "/cancel", "{}", otherKey).status()).isEqualTo(404);
        assertThat(server.get("/api/jobs", otherKey).json().get("items")).isEmpty();
    }

    @Test
    void the_same_idempotency_key_returns_the_same_job_and_a_queued_job_can_be_cancelled() {
        TestServer.Response first = fleet.submit("{\"kind\":\"echo\",\"payload\":{\"n\":1}}", server.adminKey(), "order-17");
        TestServer.Response again = fleet.submit("{\"kind\":\"echo\",\"payload\":{\"n\":1}}", server.adminKey(), "order-17");
        TestServer.Response other = fleet.submit("{\"kind\":\"echo\"}", server.adminKey(), "order-18");

        assertThat(first.status()).isEqualTo(202);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("id").asText()).isEqualTo(first.json().get("id").asText());
        assertThat(other.json().get("id").asText()).isNotEqualTo(first.json().get("id").asText());
        assertThat(server.get("/api/jobs", server.adminKey()).json().get("items")).hasSize(2);
        assertThat(first.json().get("waiting_reason").asText()).startsWith("no robot matches the target");

        TestServer.Response cancelled = server.post("/api/jobs/" + first.json().get("id").asText() + "/cancel", "{}", server.adminKey());
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void the_same_idempotency_key_with_a_different_request_is_refused_and_one_spelled_differently_is_the_same() {
        TestServer.Response first = fleet.submit("{\"kind\":\"echo\",\"payload\":{\"a\":1,\"b\":[1,2]},"
                + "\"target\":{\"capabilities\":[\"gpu\",\"arm64\"]}}", server.adminKey(), "deploy-42");
        String jobId = first.json().get("id").asText();
        // Key order, capability order and explicit defaults do not make a different request.
        TestServer.Response respelled = fleet.submit("{\"payload\":{\"b\":[1,2],\"a\":1},\"kind\":\"echo\",\"priority\":0,"
                + "\"timeout_s\":300,\"max_attempts\":3,\"target\":{\"capabilities\":[\"arm64\",\"gpu\"]}}", server.adminKey(), "deploy-42");
        TestServer.Response otherPayload = fleet.submit("{\"kind\":\"echo\",\"payload\":{\"a\":2,\"b\":[1,2]},"
                + "\"target\":{\"capabilities\":[\"gpu\",\"arm64\"]}}", server.adminKey(), "deploy-42");
        TestServer.Response otherKindAndPriority = fleet.submit("{\"kind\":\"sleep\",\"priority\":5,\"payload\":{\"a\":1,\"b\":[1,2]},"
                + "\"target\":{\"capabilities\":[\"gpu\",\"arm64\"]}}", server.adminKey(), "deploy-42");

        assertThat(first.status()).isEqualTo(202);
        assertThat(respelled.status()).isEqualTo(200);
        assertThat(respelled.json().get("id").asText()).isEqualTo(jobId);
        assertThat(otherPayload.status()).isEqualTo(422);
        assertThat(otherPayload.json().get("code").asText()).isEqualTo("idempotency_key_reused");
        assertThat(otherPayload.json().get("field").asText()).isEqualTo("Idempotency-Key");
        assertThat(otherPayload.json().get("detail").asText()).contains(jobId).contains("(payload differ)");
        assertThat(otherKindAndPriority.json().get("detail").asText()).contains("(kind, priority differ)");
        assertThat(server.get("/api/jobs", server.adminKey()).json().get("items")).as("no job created by the refusals").hasSize(1);
    }

    @Test
    void a_sleep_job_makes_its_robot_busy_with_current_job_then_idle_again() throws Exception {
        RealAgents.Agent agent = fleet.start(server.enrollmentKey(5).get("key_value").asText(), "sleepy-bot");

        String jobId = fleet.submitId("{\"kind\":\"sleep\",\"payload\":{\"seconds\":2}}");

        fleet.awaitStatus(jobId, "running");
        JsonNode busy = fleet.robot(agent.robotId());
        assertThat(busy.get("status").asText()).isEqualTo("busy");
        assertThat(busy.get("current_job").asText()).isEqualTo(jobId);
        assertThat(server.get("/api/robots?status=busy", server.adminKey()).json().get("items")).hasSize(1);
        JsonNode queue = server.get("/api/queue", server.adminKey()).json();
        assertThat(queue.get("busy").asInt()).isEqualTo(1);
        assertThat(queue.get("active_drivers").asInt()).isEqualTo(1);
        fleet.awaitStatus(jobId, "succeeded");
        JsonNode idle = fleet.robot(agent.robotId());
        assertThat(idle.get("status").asText()).isEqualTo("online");
        assertThat(idle.get("current_job").isNull()).isTrue();
        JsonNode after = server.get("/api/queue", server.adminKey()).json();
        assertThat(after.get("online").asInt()).isEqualTo(1);
        assertThat(after.get("jobs_queued").asInt()).isZero();
        assertThat(after.get("wait_by_kind").findValuesAsText("name")).contains("sleep");
        String metrics = server.get("/metrics", null).body();
        assertThat(metrics).containsPattern("beacon_robots_online\\{[^}]*} 1\\.0").containsPattern("beacon_jobs_queued\\{[^}]*} 0\\.0")
                .containsPattern("beacon_robots_busy\\{[^}]*} 0\\.0"); // the figures, not NaN
    }
}
