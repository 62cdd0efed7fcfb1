package dev.beacon.openapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Real answers validate against the OpenAPI document: a flow over every {@code /api} endpoint (sites, fleets, enrollment
 * keys, a claim, a robot online over a real WebSocket, jobs submitted, run, cancelled, API keys, the queue, the audit
 * logs, cluster nodes) and its refusals (400, 401, 403, 404, 409, 413, 422, 426), on both databases; each answer's status
 * must be documented for its operation and its body must match the documented schema. Also the schema round trip
 * that stands for a generated client: a job built from the document's own example is submitted and read back.
 */
@BeaconTest
class OpenApiResponsesTest {
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Parameter
    Backend backend;

    TestServer server;
    private final OpenApiContract contract = OpenApiContract.load();

    @Test
    void every_endpoint_answers_as_the_document_says_for_successes_and_refusals() throws Exception {
        String admin = server.adminKey();
        String reader = server.createApiKey("reader", "read");
        String jobs = server.createApiKey("ci", "jobs");

        assertThat(get("/api/openapi.json", null).json()).isEqualTo(contract.document);

        // Sites and fleets.
        String siteId = post("/api/sites", "{\"name\":\"warehouse-a\"}", admin).json().get("id").asText();
        assertThat(post("/api/sites", "{\"name\":\"warehouse-a\"}", admin).code()).isEqualTo("conflict");
        assertThat(post("/api/sites", "{}", admin).code()).isEqualTo("validation_failed");
        assertThat(post("/api/sites", "{\"name\":\"x\"}", reader).code()).isEqualTo("forbidden");
        get("/api/sites?limit=1", reader);
        get("/api/sites/" + siteId, reader);
        assertThat(get("/api/sites/site_nope", reader).code()).isEqualTo("not_found");
        assertThat(get("/api/sites?limit=0", reader).code()).isEqualTo("validation_failed");
        assertThat(get("/api/sites", null).code()).isEqualTo("unauthorized");
        String fleetId = post("/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"dock-1\"}", admin).json().get("id").asText();
        assertThat(post("/api/fleets", "{\"site_id\":\"site_nope\",\"name\":\"dock-1\"}", admin).status()).isEqualTo(422);
        assertThat(post("/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"dock-1\"}", admin).status()).isEqualTo(409);
        get("/api/fleets?site_id=" + siteId, reader);
        get("/api/fleets/" + fleetId, reader);
        assertThat(get("/api/fleets/flt_nope", reader).status()).isEqualTo(404);

        // Enrollment keys and claims.
        String keyBody = "{\"site_id\":\"" + siteId + "\",\"fleet_id\":\"" + fleetId + "\",\"name\":\"batch-1\",\"max_uses\":5}";
        JsonNode key = post("/api/enrollment-keys", keyBody, admin).json();
        String keyValue = key.get("key_value").asText();
        assertThat(post("/api/enrollment-keys", keyBody.replace("\"max_uses\":5", "\"allowed_cidrs\":[\"10.0.0.0/33\"]"), admin).status())
                .isEqualTo(400);
        assertThat(post("/api/enrollment-keys", keyBody.replace(fleetId, "flt_nope"), admin).status()).isEqualTo(422);
        assertThat(get("/api/enrollment-keys", reader).json().at("/items/0/key_value").isNull()).isTrue();
        get("/api/enrollment-keys/" + key.get("id").asText(), admin);
        assertThat(get("/api/enrollment-keys/ek_nope", admin).status()).isEqualTo(404);

        JsonNode enrolled = post("/api/enroll", "{\"enrollment_key\":\"" + keyValue + "\",\"name\":\"bot-1\",\"capabilities\":[\"echo\"],"
                + "\"labels\":{\"zone\":\"a\"},\"hostname\":\"bot1\",\"os\":\"linux\",\"arch\":\"amd64\",\"agent_version\":\"0.1.0\"}", null).json();
        String robotId = enrolled.get("robot_id").asText();
        String token = enrolled.get("robot_token").asText();
        assertThat(post("/api/enroll", "{\"enrollment_key\":\"" + keyValue + "\",\"name\":\"bot-1\"}", null).code()).isEqualTo("robot_name_taken");
        assertThat(post("/api/enroll", "{\"enrollment_key\":\"rf_enroll_abc\",\"name\":\"bot-2\"}", null).code()).isEqualTo("enrollment_key_malformed");
        assertThat(post("/api/enroll", "{\"enrollment_key\":\"" + unknownKey() + "\",\"name\":\"bot-2\"}", null).code())
                .isEqualTo("enrollment_key_unknown");

        // The robot's own view, and the agent socket's plain GET.
        get("/api/agent/me", null, "Bearer " + token);
        assertThat(get("/api/agent/me", null, "Bearer nope").code()).isEqualTo("unauthorized");
        assertThat(get("/api/agent/ws", null, "Bearer " + token).code()).isEqualTo("upgrade_required");

        // Robots, with the robot online over a real WebSocket.
        assertThat(get("/api/robots?status=sideways", reader).status()).isEqualTo(400);
        assertThat(post("/api/robots/" + robotId + "/rotate-token", "", admin).code()).isEqualTo("robot_offline");
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            await().atMost(WAIT).until(() -> "online".equals(server.get("/api/robots/" + robotId, admin).json().path("status").asText()));
            get("/api/robots?status=online&fleet_id=" + fleetId, reader);
            post("/api/robots/" + robotId + "/pause", "", admin);
            post("/api/robots/" + robotId + "/resume", "", admin);
            send("PUT", "/api/robots/" + robotId + "/labels", "{\"labels\":{\"rack\":\"7\"}}", admin, null, null);
            assertThat(send("PUT", "/api/robots/" + robotId + "/labels", "{\"labels\":{\"bad key\":\"7\"}}", admin, null, null).code())
                    .isEqualTo("validation_failed");

            // Jobs: one runs to the end on the robot, one is cancelled while it holds it, one while queued.
            assertThat(post("/api/jobs", "{\"kind\":\"echo\"}", reader).code()).isEqualTo("forbidden");
            assertThat(post("/api/jobs", "{\"kind\":\"-bad\"}", jobs).status()).isEqualTo(400);
            assertThat(post("/api/jobs", "{\"kind\":\"echo\",\"target\":{\"fleet_id\":\"flt_nope\"}}", jobs).status()).isEqualTo(422);
            assertThat(post("/api/jobs", "{\"kind\":\"echo\",\"payload\":" + "[".repeat(40) + "]".repeat(40) + "}", jobs).code())
                    .isEqualTo("json_too_deep");
            JsonNode ran = submit("{\"kind\":\"echo\",\"payload\":{\"hello\":[1,2]},\"target\":{\"fleet_id\":\"" + fleetId + "\"}}", jobs, "deploy-42");
            assertThat(ran.get("status").asText()).isEqualTo("assigned");
            String ranId = ran.get("id").asText();
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(ranId);
            socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + ranId + "\"}");
            socket.send("{\"type\":\"job.result\",\"job_id\":\"" + ranId + "\",\"status\":\"succeeded\",\"output\":{\"hello\":[1,2]},\"exit_code\":0}");
            await().atMost(WAIT).until(() -> "succeeded".equals(server.get("/api/jobs/" + ranId, jobs).json().path("status").asText()));
            assertThat(get("/api/jobs/" + ranId, reader).json().get("exit_code").asInt()).isZero();
            assertThat(get("/api/jobs/" + ranId + "/output", reader).json().get("truncated").asBoolean()).isFalse();
            TestServer.Response again = post("/api/jobs", "{\"kind\":\"echo\",\"payload\":{\"hello\":[1,2]},\"target\":{\"fleet_id\":\""
                    + fleetId + "\"}}", jobs, "deploy-42");
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.json().get("id").asText()).isEqualTo(ranId);
            TestServer.Response reused = post("/api/jobs", "{\"kind\":\"echo\"}", jobs, "deploy-42");
            assertThat(reused.status()).isEqualTo(422);
            assertThat(reused.json().get("code").asText()).isEqualTo("idempotency_key_reused");

            String heldId = submit("{\"kind\":\"echo\",\"payload\":\"held\"}", jobs, null).get("id").asText();
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(heldId);
            assertThat(post("/api/jobs/" + heldId + "/cancel", "", jobs).status()).isEqualTo(202);
            assertThat(socket.next("job.cancel").get("job_id").asText()).isEqualTo(heldId);
            socket.send("{\"type\":\"job.result\",\"job_id\":\"" + heldId + "\",\"status\":\"cancelled\",\"output\":null}");
            await().atMost(WAIT).until(() -> "cancelled".equals(server.get("/api/jobs/" + heldId, jobs).json().path("status").asText()));

            String queuedId = submit("{\"kind\":\"nobody-runs-this\",\"target\":{\"labels\":{\"zone\":\"b\"}}}", jobs, null).get("id").asText();
            assertThat(get("/api/jobs/" + queuedId, reader).json().get("waiting_reason").isTextual()).isTrue();
            get("/api/queue", reader);
            assertThat(post("/api/jobs/" + queuedId + "/cancel", "", jobs).status()).isEqualTo(200);
            get("/api/jobs?status=succeeded&limit=1", reader);
            get("/api/jobs?robot_id=" + robotId + "&kind=echo", reader);
            assertThat(get("/api/jobs?status=done", reader).status()).isEqualTo(400);
            assertThat(get("/api/jobs/job_nope", reader).status()).isEqualTo(404);
            assertThat(post("/api/jobs/job_nope/cancel", "", jobs).status()).isEqualTo(404);

            assertThat(get("/api/robots/" + robotId, reader).json().get("jobs").size()).isEqualTo(2);
            post("/api/robots/" + robotId + "/rotate-token", "", admin);
            socket.next("token.rotated");
            assertThat(post("/api/robots/" + robotId + "/rotate-token", "", admin).code()).isEqualTo("token_rotation_pending");
        }
        assertThat(get("/api/robots/rob_nope", reader).status()).isEqualTo(404);

        // API keys.
        JsonNode created = post("/api/api-keys", "{\"name\":\"ci-pipeline\",\"scopes\":[\"jobs\",\"read\"]}", admin).json();
        String createdId = created.get("id").asText();
        assertThat(post("/api/api-keys", "{\"name\":\"x\",\"scopes\":[\"root\"]}", admin).status()).isEqualTo(400);
        get("/api/api-keys?limit=2", admin);
        get("/api/api-keys/" + createdId, admin);
        get("/api/api-keys/" + createdId + "/usage", admin);
        assertThat(get("/api/api-keys", reader).code()).isEqualTo("forbidden");
        assertThat(get("/api/api-keys/key_nope", admin).status()).isEqualTo(404);
        assertThat(delete("/api/api-keys/" + createdId, admin).json().get("revoked_at").isTextual()).isTrue();
        assertThat(get("/api/sites", created.get("key").asText()).code()).isEqualTo("unauthorized");

        // Revocations and removal.
        post("/api/enrollment-keys/" + key.get("id").asText() + "/revoke", "{\"cascade\":true}", admin);
        assertThat(post("/api/enroll", "{\"enrollment_key\":\"" + keyValue + "\",\"name\":\"bot-3\"}", null).code()).isEqualTo("enrollment_key_revoked");
        assertThat(post("/api/enrollment-keys/ek_nope/revoke", "", admin).status()).isEqualTo(404);
        post("/api/robots/" + robotId + "/revoke-token", "", admin);
        assertThat(get("/api/agent/me", null, "Bearer " + token).code()).isEqualTo("robot_token_revoked");
        assertThat(delete("/api/robots/" + robotId, admin).status()).isEqualTo(204);
        assertThat(delete("/api/robots/" + robotId, admin).status()).isEqualTo(404);

        // The audit logs, cluster nodes, and a dashboard session with and without its CSRF token.
        get("/api/audit?action=site.created&limit=5", admin);
        assertThat(get("/api/audit?format=jsonl&since=2020-01-01T00:00:00Z", admin).body()).contains("\"action\":\"site.created\"");
        assertThat(get("/api/audit?format=jsonl&since=yesterday", admin).code()).isEqualTo("validation_failed");
        assertThat(get("/api/audit?format=xml", admin).code()).isEqualTo("validation_failed");
        assertThat(get("/api/audit", reader).status()).isEqualTo(403);
        get("/api/cluster/nodes", admin);
        assertThat(get("/api/instance/audit", admin).code()).isEqualTo("forbidden");
        String cookie = signIn();
        get("/api/instance/audit?limit=3", null, null, cookie);
        assertThat(send("POST", "/api/sites", "{\"name\":\"from-session\"}", null, cookie, null).code()).isEqualTo("csrf_failed");
        assertThat(send("POST", "/api/sites", "{\"name\":\"from-session\"}", null, cookie, csrf(cookie)).status()).isEqualTo(201);
        assertThat(post("/api/sites", "{\"name\":\"" + "x".repeat(70_000) + "\"}", admin).code()).isEqualTo("payload_too_large");

        // Every operation answered at least once with a success, except the socket's upgrade (a plain GET gets 426).
        Set<String> succeeded = new TreeSet<>();
        contract.checked().stream().filter(c -> c.endsWith(" 200") || c.endsWith(" 201") || c.endsWith(" 202") || c.endsWith(" 204"))
                .forEach(c -> succeeded.add(c.substring(0, c.lastIndexOf(' '))));
        Set<String> expected = new TreeSet<>(contract.operations());
        expected.remove("GET /api/agent/ws");
        assertThat(succeeded).containsAll(expected);
        assertThat(contract.checked()).contains("GET /api/agent/ws 426", "POST /api/sites 409", "POST /api/fleets 422", "POST /api/enroll 401",
                "GET /api/api-keys 403", "POST /api/sites 413", "POST /api/jobs 400", "GET /api/jobs/{id} 404");
    }

    @Test
    void a_job_built_from_the_documents_own_example_is_submitted_and_read_back_as_documented() {
        // The schema round trip a generated client would make: the request is the document's example for POST /api/jobs,
        // checked against the request schema; the answers are checked against the response schemas.
        JsonNode media = contract.operation("POST /api/jobs").at("/requestBody/content/application~1json");
        JsonNode example = media.get("example");
        assertThat(contract.validate("POST /api/jobs request", media.get("schema"), example.toString())).isEmpty();
        String jobs = server.createApiKey("client", "jobs");

        JsonNode submitted = submit(example.toString(), jobs, null);
        JsonNode read = get("/api/jobs/" + submitted.get("id").asText(), jobs).json();

        assertThat(read.get("id")).isEqualTo(submitted.get("id"));
        assertThat(read.get("kind")).isEqualTo(example.get("kind"));
        assertThat(read.get("payload")).isEqualTo(example.get("payload"));
        assertThat(read.get("timeout_s")).isEqualTo(example.get("timeout_s"));
        assertThat(read.get("status").asText()).isEqualTo("queued");
        assertThat(contract.checked()).contains("POST /api/jobs 202", "GET /api/jobs/{id} 200");
    }

    private JsonNode submit(String body, String key, String idempotencyKey) {
        TestServer.Response response = post("/api/jobs", body, key, idempotencyKey);
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json();
    }

    private TestServer.Response get(String path, String key) {
        return send("GET", path, null, key, null, null);
    }

    private TestServer.Response get(String path, String key, String authorization) {
        return get(path, key, authorization, null);
    }

    private TestServer.Response get(String path, String key, String authorization, String cookie) {
        HttpRequest.Builder request = server.request(path, key).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return contract.check("GET", path, server.send(request));
    }

    private TestServer.Response post(String path, String body, String key) {
        return post(path, body, key, null);
    }

    private TestServer.Response post(String path, String body, String key, String idempotencyKey) {
        HttpRequest.Builder request = server.request(path, key).POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return contract.check("POST", path, server.send(request));
    }

    private TestServer.Response delete(String path, String key) {
        return contract.check("DELETE", path, server.send(server.request(path, key).DELETE()));
    }

    private TestServer.Response send(String method, String path, String body, String key, String cookie, String csrf) {
        HttpRequest.Builder request = server.request(path, key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        if (csrf != null) {
            request.header("X-CSRF-Token", csrf);
        }
        return contract.check(method, path, server.send(request));
    }

    /** Signs in to the dashboard as the first start's admin (an instance admin) and returns the session cookie. */
    private String signIn() {
        String form = "username=admin&password=" + URLEncoder.encode("test-password", StandardCharsets.UTF_8);
        TestServer.Response login = server.send(server.request("/login", null).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
        assertThat(login.status()).isEqualTo(303);
        String setCookie = login.raw().headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private String csrf(String cookie) {
        TestServer.Response page = server.send(server.request("/", null).header("Cookie", cookie).header("Accept", "text/html").GET());
        Matcher matcher = CSRF.matcher(page.body());
        assertThat(matcher.find()).as("a CSRF token on the page").isTrue();
        return matcher.group(1);
    }

    /** A well-formed enrollment key (right prefix, length and checksum) that this server never minted. */
    private static String unknownKey() {
        String head = "rf_enroll_" + HexFormat.of().formatHex(new byte[32]).replace('0', 'a');
        CRC32 crc = new CRC32();
        crc.update(head.getBytes(StandardCharsets.US_ASCII));
        return head + String.format("%08x", crc.getValue());
    }
}
