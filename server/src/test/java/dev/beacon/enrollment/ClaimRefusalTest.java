package dev.beacon.enrollment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension.ConfiguresServer;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@BeaconTest
class ClaimRefusalTest implements ConfiguresServer {
    @Parameter
    Backend backend;

    final FakeClock clock = new FakeClock();
    TestServer server;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock);
    }

    private void assertProblem(TestServer.Response response, int status, String code) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.raw().headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(response.code()).isEqualTo(code);
        assertThat(response.json().get("detail").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void an_expired_key_is_refused_with_when_it_expired() {
        JsonNode key = server.enrollmentKey(5);
        clock.advance(Duration.ofHours(24).plusSeconds(1));
        TestServer.Response response = server.claim(key.get("key_value").asText(), "late-bot");
        assertProblem(response, 401, "enrollment_key_expired");
        assertThat(response.json().get("detail").asText()).contains("expired at").contains("create a new one");
        assertThat(server.get("/api/enrollment-keys/" + key.get("id").asText(), server.adminKey()).json().get("status").asText())
                .isEqualTo("expired");
    }

    @Test
    void a_truncated_key_is_refused_as_malformed_before_any_lookup() {
        String value = server.enrollmentKey(5).get("key_value").asText();
        TestServer.Response response = server.claim(value.substring(0, value.length() - 5), "bot");
        assertProblem(response, 400, "enrollment_key_malformed");
        assertThat(response.json().get("detail").asText()).contains("truncated or mistyped");
    }

    @Test
    void a_mistyped_key_fails_its_checksum() {
        String value = server.enrollmentKey(5).get("key_value").asText();
        char flipped = value.charAt(20) == 'a' ? 'b' : 'a';
        String mistyped = value.substring(0, 20) + flipped + value.substring(21);
        TestServer.Response response = server.claim(mistyped, "bot");
        assertProblem(response, 400, "enrollment_key_malformed");
        assertThat(response.json().get("detail").asText()).contains("checksum");
    }

    @Test
    void a_well_formed_key_the_server_never_minted_is_unknown() {
        String unknown = dev.beacon.tokens.TokenFormat.generate(dev.beacon.tokens.TokenKind.ENROLLMENT).value();
        assertProblem(server.claim(unknown, "bot"), 401, "enrollment_key_unknown");
    }

    @Test
    void a_revoked_key_is_refused_and_revoking_twice_is_harmless() {
        JsonNode key = server.enrollmentKey(5);
        String id = key.get("id").asText();
        TestServer.Response revoked = server.post("/api/enrollment-keys/" + id + "/revoke", "", server.adminKey());
        assertThat(revoked.status()).isEqualTo(200);
        assertThat(revoked.json().get("status").asText()).isEqualTo("revoked");
        assertThat(revoked.json().get("revoked_at").isTextual()).isTrue();
        assertThat(server.post("/api/enrollment-keys/" + id + "/revoke", "{}", server.adminKey()).status()).isEqualTo(200);
        assertProblem(server.claim(key.get("key_value").asText(), "bot"), 401, "enrollment_key_revoked");
    }

    @Test
    void a_taken_name_is_refused_unless_replace_rekeys_the_same_robot() {
        JsonNode key = server.enrollmentKey(5);
        String value = key.get("key_value").asText();
        TestServer.Response first = server.claim(value, "dock-bot");
        assertThat(first.status()).isEqualTo(201);
        assertProblem(server.claim(value, "dock-bot"), 409, "robot_name_taken");

        TestServer.Response replaced = server.post("/api/enroll",
                "{\"enrollment_key\":\"" + value + "\",\"name\":\"dock-bot\",\"replace\":true}", null);
        assertThat(replaced.status()).as(replaced.body()).isEqualTo(201);
        assertThat(replaced.json().get("robot_id").asText()).isEqualTo(first.json().get("robot_id").asText());
        assertThat(replaced.json().get("robot_token").asText()).isNotEqualTo(first.json().get("robot_token").asText());
        assertThat(agentMe(first.json().get("robot_token").asText()).code()).isEqualTo("robot_token_revoked");
        assertThat(agentMe(replaced.json().get("robot_token").asText()).status()).isEqualTo(200);
        assertThat(server.get("/api/enrollment-keys/" + key.get("id").asText(), server.adminKey()).json().get("uses").asInt()).isEqualTo(2);
    }

    @Test
    void replace_does_not_take_over_a_robot_in_another_fleet() {
        String first = server.enrollmentKey(5).get("key_value").asText();
        String other = server.enrollmentKey(5).get("key_value").asText();
        assertThat(server.claim(first, "wanderer").status()).isEqualTo(201);
        TestServer.Response response = server.post("/api/enroll",
                "{\"enrollment_key\":\"" + other + "\",\"name\":\"wanderer\",\"replace\":true}", null);
        assertProblem(response, 409, "robot_name_taken");
        assertThat(response.json().get("detail").asText()).contains("another fleet");
    }

    @Test
    void a_key_bound_to_a_network_refuses_other_sources() {
        String[] ids = server.siteAndFleet("net-site", "net-fleet");
        JsonNode outside = server.post("/api/enrollment-keys", "{\"site_id\":\"" + ids[0] + "\",\"fleet_id\":\"" + ids[1]
                + "\",\"name\":\"lan-only\",\"allowed_cidrs\":[\"10.20.0.0/16\"]}", server.adminKey()).json();
        assertProblem(server.claim(outside.get("key_value").asText(), "bot"), 403, "enrollment_source_not_allowed");
        JsonNode loopback = server.post("/api/enrollment-keys", "{\"site_id\":\"" + ids[0] + "\",\"fleet_id\":\"" + ids[1]
                + "\",\"name\":\"local\",\"allowed_cidrs\":[\"127.0.0.0/8\",\"::1/128\"]}", server.adminKey()).json();
        assertThat(server.claim(loopback.get("key_value").asText(), "bot").status()).isEqualTo(201);
        assertProblem(server.post("/api/enrollment-keys", "{\"site_id\":\"" + ids[0] + "\",\"fleet_id\":\"" + ids[1]
                + "\",\"name\":\"bad\",\"allowed_cidrs\":[\"10.0.0.0/33\"]}", server.adminKey()), 400, "validation_failed");
    }

    @Test
    void refused_attempts_are_audited_with_source_and_prefix_but_never_the_key() {
        String value = server.enrollmentKey(1).get("key_value").asText();
        assertThat(server.claim(value, "one").status()).isEqualTo(201);
        assertProblem(server.claim(value, "two"), 401, "enrollment_key_exhausted");
        JsonNode events = server.get("/api/audit?action=enrollment.refused", server.adminKey()).json().get("items");
        assertThat(events).isNotEmpty();
        JsonNode event = events.get(0);
        assertThat(event.get("ip").asText()).isNotBlank();
        assertThat(event.get("detail").asText()).contains("enrollment_key_exhausted").contains(value.substring(0, 16));
        assertThat(events.toString()).doesNotContain(value);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{not json                                        | 400 | validation_failed",
            "[1, 2]                                           | 400 | validation_failed",
            "{\"name\": \"bot\"}                              | 400 | validation_failed",
            "{\"enrollment_key\": 42, \"name\": \"bot\"}      | 400 | validation_failed",
            "{\"enrollment_key\": \"rf_enroll_00\", \"name\": 7} | 400 | validation_failed",
            "{\"enrollment_key\": \"rf_enroll_00\"}           | 400 | validation_failed",
            "{\"enrollment_key\": \"rf_enroll_00\", \"name\": \"b\", \"labels\": [1]} | 400 | validation_failed",
            "{\"enrollment_key\": \"rf_enroll_00\", \"name\": \"b\", \"replace\": \"yes\"} | 400 | validation_failed",
            "{\"enrollment_key\": \"garbage\", \"name\": \"bot\"} | 400 | enrollment_key_malformed",
    })
    void malformed_claims_get_a_clear_4xx(String body, int status, String code) {
        assertProblem(server.post("/api/enroll", body, null), status, code);
    }

    @Test
    void an_oversized_body_is_refused_with_413() {
        String huge = "{\"enrollment_key\":\"" + "a".repeat(200_000) + "\",\"name\":\"bot\"}";
        assertProblem(server.post("/api/enroll", huge, null), 413, "payload_too_large");
    }

    @Test
    void repeated_refusals_from_one_address_are_rate_limited_with_retry_after() {
        try (TestServer strict = TestServer.start(backend, config -> config.withRefusalsPerMinute(3))) {
            String unknown = dev.beacon.tokens.TokenFormat.generate(dev.beacon.tokens.TokenKind.ENROLLMENT).value();
            for (int i = 0; i < 3; i++) {
                assertThat(strict.claim(unknown, "bot").code()).isEqualTo("enrollment_key_unknown");
            }
            TestServer.Response limited = strict.claim(unknown, "bot");
            assertProblem(limited, 429, "rate_limited");
            assertThat(limited.raw().headers().firstValue("Retry-After")).isPresent();
        }
    }

    private TestServer.Response agentMe(String token) {
        return server.send(server.request("/api/agent/me", null).header("Authorization", "Bearer " + token).GET());
    }
}
