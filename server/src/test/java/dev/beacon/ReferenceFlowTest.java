package dev.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * The flow of the reference docs, end to end with the real CLI: API key → site → fleet → key with
 * {@code max_uses: 2} → two agents enroll → a third is refused → revoke → claims refused, robots unharmed.
 */
@BeaconTest
class ReferenceFlowTest {
    @Parameter
    Backend backend;

    @TempDir
    Path home;

    TestServer server;

    @Test
    void two_agents_enroll_with_a_two_use_key_a_third_is_refused_and_revoking_spares_the_robots() throws Exception {
        String apiKey = server.createApiKey("ops", "admin");
        String siteId = server.post("/api/sites", "{\"name\":\"warehouse-a\"}", apiKey).json().get("id").asText();
        String fleetId = server.post("/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"dock-1\"}", apiKey).json().get("id").asText();
        TestServer.Response created = server.post("/api/enrollment-keys", "{\"site_id\":\"" + siteId + "\",\"fleet_id\":\"" + fleetId
                + "\",\"name\":\"warehouse-a-batch-1\",\"max_uses\":2,\"expires_in_hours\":48}", apiKey);
        assertThat(created.status()).isEqualTo(201);
        String key = created.json().get("key_value").asText();
        String keyId = created.json().get("id").asText();
        assertThat(key).matches("rf_enroll_[0-9a-f]{72}");
        assertThat(server.get("/api/enrollment-keys", apiKey).json().get("items").get(0).get("key_value").asText()).isEqualTo(key);

        // First machine: the interactive enrollment of the Granite docs, token typed at the prompt.
        Path first = home.resolve("bot-01/.config/roboflare/agent.toml");
        TestServer.CliResult enrolled = TestServer.runCliWithStdin(key + "\n", "agent", "enroll", "--server", server.baseUrl(),
                "--name", "warehouse-bot-01", "--config", first.toString(), "--no-start");
        assertThat(enrolled.exitCode()).as(enrolled.err()).isZero();
        assertThat(enrolled.out()).contains("Enter enrollment token:", "Enrolling with organization...", "✓ Enrollment successful!",
                "✓ Credentials saved to " + first.toAbsolutePath());

        // Second machine: the one-line `agent run --enrollment-key`, which then connects.
        Path second = home.resolve("bot-02/.config/roboflare/agent.toml");
        TestServer.CliResult ran = TestServer.runCli("agent", "run", "--server", server.baseUrl(), "--enrollment-key", key,
                "--name", "warehouse-bot-02", "--config", second.toString(), "--once-connected-exit");
        assertThat(ran.exitCode()).as(ran.err()).isZero();
        assertThat(ran.out()).contains("✓ Enrollment successful!", "✓ Starting agent...");

        for (Path config : new Path[] {first, second}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config.getParent()))).isEqualTo("rwx------");
            JsonNode saved = new TomlMapper().readTree(config.toFile());
            assertThat(saved.get("server").asText()).isEqualTo(server.baseUrl());
            assertThat(saved.get("organization").asText()).isEqualTo("default");
            assertThat(saved.get("site").asText()).isEqualTo("warehouse-a");
            assertThat(saved.get("fleet").asText()).isEqualTo("dock-1");
            assertThat(agentMe(saved.get("robot_token").asText()).status()).isEqualTo(200);
        }

        // A third machine finds the key used up, with the message and exit code the CLI promises.
        TestServer.CliResult third = TestServer.runCli("agent", "run", "--server", server.baseUrl(), "--enrollment-key", key,
                "--name", "warehouse-bot-03", "--config", home.resolve("bot-03/agent.toml").toString(), "--once-connected-exit");
        assertThat(third.exitCode()).isEqualTo(1);
        assertThat(third.err().strip()).startsWith("✗").contains("used up").doesNotContain("\n");
        assertThat(server.claim(key, "warehouse-bot-03").code()).isEqualTo("enrollment_key_exhausted");

        JsonNode keyAfter = server.get("/api/enrollment-keys/" + keyId, apiKey).json();
        assertThat(keyAfter.get("uses").asInt()).isEqualTo(2);
        assertThat(keyAfter.get("status").asText()).isEqualTo("exhausted");

        assertThat(server.post("/api/enrollment-keys/" + keyId + "/revoke", "{}", apiKey).json().get("status").asText()).isEqualTo("revoked");
        assertThat(server.claim(key, "warehouse-bot-04").code()).isEqualTo("enrollment_key_revoked");
        for (Path config : new Path[] {first, second}) {
            assertThat(agentMe(new TomlMapper().readTree(config.toFile()).get("robot_token").asText()).status()).isEqualTo(200);
        }
        JsonNode robots = server.get("/api/robots?fleet_id=" + fleetId, apiKey).json().get("items");
        assertThat(robots).extracting(robot -> robot.get("name").asText()).containsExactlyInAnyOrder("warehouse-bot-01", "warehouse-bot-02");
    }

    @Test
    void a_saved_token_means_a_later_run_does_not_enroll_again() {
        String key = server.enrollmentKey(5).get("key_value").asText();
        Path config = home.resolve("agent.toml");
        String[] run = {"agent", "run", "--server", server.baseUrl(), "--enrollment-key", key, "--name", "once", "--config", config.toString(),
                "--once-connected-exit"};
        assertThat(TestServer.runCli(run).exitCode()).isZero();
        TestServer.CliResult again = TestServer.runCli(run);
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out() + again.err()).contains("Already enrolled as once");
        assertThat(server.get("/api/enrollment-keys", server.adminKey()).json().get("items").get(0).get("uses").asInt()).isEqualTo(1);
    }

    @Test
    void cascade_revoke_also_revokes_the_robots_enrolled_with_the_key() {
        JsonNode created = server.enrollmentKey(5);
        String token = server.claim(created.get("key_value").asText(), "cascaded").json().get("robot_token").asText();
        assertThat(agentMe(token).status()).isEqualTo(200);
        server.post("/api/enrollment-keys/" + created.get("id").asText() + "/revoke", "{\"cascade\":true}", server.adminKey());
        TestServer.Response refused = agentMe(token);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.code()).isEqualTo("robot_token_revoked");
        JsonNode revoked = server.get("/api/audit?action=enrollment_key.revoked", server.adminKey()).json().get("items").get(0);
        assertThat(revoked.get("detail").asText()).isEqualTo("cascade: revoked 1 robot");
    }

    @Test
    void a_plain_get_of_the_agent_socket_gets_426_titled_upgrade_required_as_documented() {
        JsonNode created = server.enrollmentKey(1);
        String token = server.claim(created.get("key_value").asText(), "plain-get").json().get("robot_token").asText();

        TestServer.Response response = server.send(server.request("/api/agent/ws", null)
                .header("Authorization", "Bearer " + token).GET());

        assertThat(response.status()).isEqualTo(426);
        assertThat(response.code()).isEqualTo("upgrade_required");
        assertThat(response.json().get("title").asText()).isEqualTo("Upgrade Required");
    }

    private TestServer.Response agentMe(String token) {
        return server.send(server.request("/api/agent/me", null).header("Authorization", "Bearer " + token).GET());
    }
}
