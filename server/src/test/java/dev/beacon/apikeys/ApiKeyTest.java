package dev.beacon.apikeys;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

@BeaconTest
class ApiKeyTest {
    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void a_created_key_is_shown_once_then_listed_by_name_with_last_used() {
        TestServer.Response created = server.post("/api/api-keys", "{\"name\":\"ci-pipeline\",\"scopes\":[\"jobs\",\"read\"]}", server.adminKey());
        assertThat(created.status()).isEqualTo(201);
        String key = created.json().get("key").asText();
        assertThat(key).startsWith("rf_api_").hasSize("rf_api_".length() + 72);
        String id = created.json().get("id").asText();

        JsonNode listed = findKey(id);
        assertThat(listed.get("name").asText()).isEqualTo("ci-pipeline");
        assertThat(listed.has("key")).isFalse();
        assertThat(listed.get("prefix").asText()).startsWith("rf_api_").endsWith("…").hasSizeLessThan(20);
        assertThat(listed.get("last_used_at").isNull()).isTrue();
        assertThat(listed.get("created_at").asText()).endsWith("Z");
        assertThat(server.body(server.get("/api/api-keys", server.adminKey()))).doesNotContain(key);

        assertThat(server.get("/api/sites", key).status()).isEqualTo(200);
        assertThat(findKey(id).get("last_used_at").isTextual()).isTrue();
        JsonNode usage = server.get("/api/api-keys/" + id + "/usage", server.adminKey()).json();
        assertThat(usage.get("days").get(0).get("day").asText()).isEqualTo(LocalDate.now(ZoneOffset.UTC).toString());
        assertThat(usage.get("days").get(0).get("requests").asLong()).isEqualTo(1);
    }

    @Test
    void a_revoked_key_is_refused_at_once() {
        String key = server.createApiKey("temporary", "admin");
        String id = server.get("/api/api-keys", server.adminKey()).json().get("items").findValues("id").stream()
                .map(JsonNode::asText).filter(candidate -> findKey(candidate).get("name").asText().equals("temporary")).findFirst().orElseThrow();
        assertThat(server.get("/api/sites", key).status()).isEqualTo(200);
        TestServer.Response revoked = server.delete("/api/api-keys/" + id, server.adminKey());
        assertThat(revoked.json().get("revoked_at").isTextual()).isTrue();
        TestServer.Response refused = server.get("/api/sites", key);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.code()).isEqualTo("unauthorized");
        assertThat(refused.json().get("detail").asText()).contains("revoked");
    }

    @Test
    void scopes_limit_what_a_key_may_do() {
        String reader = server.createApiKey("dashboard-reader", "read");
        String jobs = server.createApiKey("job-submitter", "jobs");
        assertThat(server.get("/api/sites", reader).status()).isEqualTo(200);
        TestServer.Response readerWrite = server.post("/api/sites", "{\"name\":\"x\"}", reader);
        assertThat(readerWrite.status()).isEqualTo(403);
        assertThat(readerWrite.code()).isEqualTo("forbidden");
        assertThat(server.get("/api/sites", jobs).code()).isEqualTo("forbidden");
        assertThat(server.get("/api/api-keys", reader).code()).isEqualTo("forbidden");
    }

    @Test
    void missing_malformed_and_unknown_keys_are_unauthorized() {
        assertThat(server.get("/api/sites", null).code()).isEqualTo("unauthorized");
        assertThat(server.get("/api/sites", "rf_api_123").code()).isEqualTo("unauthorized");
        String unknown = dev.beacon.tokens.TokenFormat.generate(dev.beacon.tokens.TokenKind.API_KEY).value();
        TestServer.Response response = server.get("/api/sites", unknown);
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().get("detail").asText()).contains("not known");
    }

    @Test
    void another_organizations_objects_are_plain_not_found() {
        JsonNode key = server.enrollmentKey(3);
        assertThat(TestServer.runCli("admin", "org", "create", "--name", "rival", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl()).exitCode()).isZero();
        String rival = server.createApiKey("rival-admin", "admin", "rival");
        for (String path : new String[] {"/api/enrollment-keys/" + key.get("id").asText(), "/api/sites/" + key.get("site_id").asText(),
                "/api/fleets/" + key.get("fleet_id").asText()}) {
            TestServer.Response response = server.get(path, rival);
            assertThat(response.status()).as(path).isEqualTo(404);
            assertThat(response.code()).isEqualTo("not_found");
        }
        assertThat(server.post("/api/enrollment-keys/" + key.get("id").asText() + "/revoke", "{}", rival).status()).isEqualTo(404);
        assertThat(server.get("/api/enrollment-keys", rival).json().get("items")).isEmpty();
        TestServer.Response crossFleet = server.post("/api/enrollment-keys", "{\"site_id\":\"" + key.get("site_id").asText()
                + "\",\"fleet_id\":\"" + key.get("fleet_id").asText() + "\",\"name\":\"steal\"}", rival);
        assertThat(crossFleet.status()).isEqualTo(422);
    }

    @Test
    void a_fleet_of_another_site_is_refused_with_422() {
        String[] first = server.siteAndFleet("site-one", "fleet-one");
        String[] second = server.siteAndFleet("site-two", "fleet-two");
        TestServer.Response response = server.post("/api/enrollment-keys", "{\"site_id\":\"" + first[0] + "\",\"fleet_id\":\"" + second[1]
                + "\",\"name\":\"mismatch\"}", server.adminKey());
        assertThat(response.status()).isEqualTo(422);
        assertThat(response.code()).isEqualTo("validation_failed");
        assertThat(response.json().get("field").asText()).isEqualTo("fleet_id");
    }

    @Test
    void lists_page_with_a_cursor() {
        for (int i = 0; i < 5; i++) {
            server.post("/api/sites", "{\"name\":\"page-" + i + "\"}", server.adminKey());
        }
        JsonNode first = server.get("/api/sites?limit=3", server.adminKey()).json();
        assertThat(first.get("items")).hasSize(3);
        String cursor = first.get("next_cursor").asText();
        JsonNode second = server.get("/api/sites?limit=3&cursor=" + cursor, server.adminKey()).json();
        assertThat(second.get("items")).hasSize(2);
        assertThat(second.get("next_cursor").isNull()).isTrue();
        assertThat(server.get("/api/sites?limit=0", server.adminKey()).code()).isEqualTo("validation_failed");
    }

    private JsonNode findKey(String id) {
        return server.get("/api/api-keys/" + id, server.adminKey()).json();
    }
}
