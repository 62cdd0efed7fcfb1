package dev.beacon.agent;

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

/** The agent against the real Beacon server on both databases: enrollment, the socket, rotation and removal end to end. */
@BeaconTest
class AgentAgainstRealServerTest {
    @org.junit.jupiter.params.Parameter
    Backend backend;

    @TempDir
    Path tmp;
    TestServer server;
    Path config;
    AgentConnection agent;

    @BeforeEach
    void start() {
        config = tmp.resolve("agent.toml");
    }

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.stop();
        }
    }

    JsonNode createKey() {
        return server.enrollmentKey(5);
    }

    AgentConfig enroll(String key, String name) {
        AgentCli.Result result = AgentCli.withStdin(key + "\n", "enroll", "--server", server.baseUrl(), "--name", name,
                "--config", config.toString(), "--no-start");
        assertThat(result.exitCode()).as(result.err()).isZero();
        return AgentConfigFile.at(config).read().orElseThrow();
    }

    boolean online(String robotId) {
        for (JsonNode robot : server.get("/api/robots?status=online", server.adminKey()).json().path("items")) {
            if (robot.path("id").asText().equals(robotId)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void an_enrolled_agent_connects_shows_online_and_status_says_accepted() throws Exception {
        AgentConfig saved = enroll(createKey().path("key_value").asText(), "real-bot-1");

        agent = AgentConnection.start(saved, AgentConfigFile.at(config), AgentConnectionTest.FAST);

        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> online(saved.robotId()));
        AgentCli.Result status = AgentCli.run("status", "--config", config.toString());
        assertThat(status.out()).contains("Server says:  token accepted (robot " + saved.robotId());
    }

    @Test
    void a_rotation_pushed_by_the_server_is_saved_and_the_old_token_stops_working() throws Exception {
        AgentConfig saved = enroll(createKey().path("key_value").asText(), "real-bot-2");
        agent = AgentConnection.start(saved, AgentConfigFile.at(config), AgentConnectionTest.FAST);
        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();

        assertThat(server.post("/api/robots/" + saved.robotId() + "/rotate-token", "{}", server.adminKey()).status()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(10)).until(() ->
                !AgentConfigFile.at(config).read().orElseThrow().robotToken().equals(saved.robotToken()));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                server.send(server.request("/api/agent/me", null).header("Authorization", "Bearer " + saved.robotToken())).status() == 401);
        assertThat(AgentCli.run("status", "--config", config.toString()).out()).contains("token accepted");
    }

    @Test
    void rotate_token_from_the_command_line_replaces_the_saved_token() {
        AgentConfig saved = enroll(createKey().path("key_value").asText(), "real-bot-3");

        AgentCli.Result result = AgentCli.run("rotate-token", "--config", config.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(AgentConfigFile.at(config).read().orElseThrow().robotToken()).isNotEqualTo(saved.robotToken());
        assertThat(AgentCli.run("status", "--config", config.toString()).out()).contains("token accepted");
    }

    @Test
    void removing_the_robot_stops_the_agent_with_exit_code_3() throws Exception {
        AgentConfig saved = enroll(createKey().path("key_value").asText(), "real-bot-4");
        agent = AgentConnection.start(saved, AgentConfigFile.at(config), AgentConnectionTest.FAST);
        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();

        assertThat(server.delete("/api/robots/" + saved.robotId(), server.adminKey()).status()).isEqualTo(204);

        assertThat(agent.awaitExit(Duration.ofSeconds(10))).hasValue(3);
        assertThat(agent.exitMessage()).contains("removed");
    }

    @Test
    void an_agent_refused_at_connect_says_why_with_the_servers_code() throws Exception {
        AgentConfig revoked = enroll(createKey().path("key_value").asText(), "real-bot-revoked");
        assertThat(server.post("/api/robots/" + revoked.robotId() + "/revoke-token", "{}", server.adminKey()).status()).isEqualTo(200);
        agent = AgentConnection.start(revoked, AgentConfigFile.at(config), AgentConnectionTest.FAST);
        assertThat(agent.awaitExit(Duration.ofSeconds(10))).hasValue(3);
        assertThat(agent.exitMessage()).startsWith("The server refused this robot's token: This robot token was revoked (robot_token_revoked)")
                .contains("to re-enroll, delete " + config);

        Files.delete(config);
        AgentConfig removed = enroll(createKey().path("key_value").asText(), "real-bot-removed");
        assertThat(server.delete("/api/robots/" + removed.robotId(), server.adminKey()).status()).isEqualTo(204);
        agent = AgentConnection.start(removed, AgentConfigFile.at(config), AgentConnectionTest.FAST);
        assertThat(agent.awaitExit(Duration.ofSeconds(10))).hasValue(3);
        assertThat(agent.exitMessage()).startsWith("The server refused this robot's token: This robot was removed from its organization (robot_removed)");
    }

    @Test
    void a_busy_servers_refusal_is_retried_and_named_with_its_detail_and_code() {
        assertThat(SessionEnd.refusal(503, "agent_connect_throttled", "Too many agents are connecting at once (limit 200/s); retry in 2 s. Agents back off and retry on their own."))
                .isEqualTo("The server refused the connection: Too many agents are connecting at once (limit 200/s); retry in 2 s. Agents back off and retry on their own (agent_connect_throttled)");
        assertThat(SessionEnd.refusal(401, "unauthorized", "")).isEqualTo("The server refused this robot's token (HTTP 401 unauthorized); it was revoked, rotated, or the robot removed");
    }

    @Test
    void run_with_enroll_prompts_for_the_key_enrolls_and_runs_like_granites_driver() {
        String key = createKey().path("key_value").asText();
        AgentCli.Result result = AgentCli.withStdin(key + "\n", "run", "--enroll", "--server", server.baseUrl(), "--name", "granite-style",
                "--config", config.toString(), "--once-connected-exit");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("Enter enrollment token: ").contains("✓ Starting agent...").doesNotContain(key);
        AgentConfig saved = AgentConfigFile.at(config).read().orElseThrow();
        assertThat(saved.name()).isEqualTo("granite-style");
        // Enrolled once: a second run with --enroll says so and runs with the saved token, prompting for nothing.
        AgentCli.Result again = AgentCli.withStdin("", "run", "--enroll", "--config", config.toString(), "--once-connected-exit");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("Already enrolled as").contains("ignoring --enroll").doesNotContain("Enter enrollment token");
    }

    @Test
    void a_revoked_enrollment_key_is_named_as_revoked() {
        JsonNode key = createKey();
        server.post("/api/enrollment-keys/" + key.path("id").asText() + "/revoke", "{}", server.adminKey());

        AgentCli.Result result = AgentCli.withStdin(key.path("key_value").asText() + "\n", "enroll", "--server",
                server.baseUrl(), "--config", config.toString(), "--no-start");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ This enrollment key was revoked — create a new one in API Management.\n");
    }

    @Test
    void a_taken_name_is_refused_and_replace_takes_over_the_offline_robot() {
        String key = createKey().path("key_value").asText();
        AgentConfig first = enroll(key, "real-bot-5");
        config = tmp.resolve("second.toml");

        AgentCli.Result taken = AgentCli.withStdin(key + "\n", "enroll", "--server", server.baseUrl(), "--name", "real-bot-5",
                "--config", config.toString(), "--no-start");
        AgentCli.Result replaced = AgentCli.withStdin(key + "\n", "enroll", "--server", server.baseUrl(), "--name", "real-bot-5",
                "--config", config.toString(), "--no-start", "--replace");

        assertThat(taken.exitCode()).isEqualTo(1);
        assertThat(taken.err()).contains("--replace");
        assertThat(replaced.exitCode()).as(replaced.err()).isZero();
        assertThat(AgentConfigFile.at(config).read().orElseThrow().robotId()).isEqualTo(first.robotId());
    }
}
