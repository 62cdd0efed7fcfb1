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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent with several server URLs against a real server on both databases, the first URL a port where nothing
 * listens: enrollment, the socket, status and rotation all find the live one, and a refusal is never retried elsewhere.
 */
@BeaconTest
class ServerFailoverTest {
    @org.junit.jupiter.params.Parameter
    Backend backend;

    @TempDir
    Path tmp;
    TestServer server;
    Path config;
    String dead;
    AgentConnection agent;

    @BeforeEach
    void start() throws Exception {
        config = tmp.resolve("agent.toml");
        dead = "http://127.0.0.1:" + EnrollClientTest.closedPort();
    }

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.stop();
        }
    }

    String key() {
        return server.enrollmentKey(5).path("key_value").asText();
    }

    AgentConfig enrollThroughBoth(String name) {
        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", dead, "--server", server.baseUrl(),
                "--name", name, "--config", config.toString(), "--no-start");
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
    void enroll_moves_past_a_dead_first_server_and_saves_both_urls_in_order() throws Exception {
        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", dead, "--server", server.baseUrl(),
                "--name", "failover-bot-1", "--config", config.toString(), "--no-start");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("Server " + dead + " unreachable, trying " + server.baseUrl() + "...\n"
                + "✓ Enrollment successful!");
        AgentConfig saved = AgentConfigFile.at(config).read().orElseThrow();
        assertThat(saved.servers()).containsExactly(dead, server.baseUrl());
        assertThat(Files.readString(config)).contains("servers = [\"" + dead + "\", \"" + server.baseUrl() + "\"]\n")
                .doesNotContain("\nserver = ");
    }

    @Test
    void a_refusal_from_a_live_server_is_final_and_the_next_url_is_not_tried() {
        JsonNode key = server.enrollmentKey(1);
        server.post("/api/enrollment-keys/" + key.path("id").asText() + "/revoke", "{}", server.adminKey());

        AgentCli.Result result = AgentCli.withStdin(key.path("key_value").asText() + "\n", "enroll", "--server",
                server.baseUrl(), "--server", dead, "--config", config.toString(), "--no-start");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ This enrollment key was revoked — create a new one in API Management.\n");
        assertThat(result.out()).doesNotContain("unreachable");
    }

    @Test
    void when_no_server_answers_one_line_names_each_failure() throws Exception {
        String alsoDead = "http://127.0.0.1:" + EnrollClientTest.closedPort();

        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", dead + "," + alsoDead,
                "--config", config.toString(), "--no-start");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("✗ None of the 2 servers answered: 1) Cannot reach the server at " + dead)
                .contains(" 2) Cannot reach the server at " + alsoDead)
                .hasLineCount(1);
    }

    @Test
    void run_with_a_refusing_first_url_comes_online_through_the_second() throws Exception {
        AgentConfig saved = enrollThroughBoth("failover-bot-2");

        agent = AgentConnection.start(saved, AgentConfigFile.at(config), AgentConnectionTest.FAST);

        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
        assertThat(agent.connectedServer()).contains(server.baseUrl());
        await().atMost(Duration.ofSeconds(10)).until(() -> online(saved.robotId()));
    }

    @Test
    void status_says_which_server_answered() {
        AgentConfig saved = enrollThroughBoth("failover-bot-3");

        AgentCli.Result status = AgentCli.run("status", "--config", config.toString());

        assertThat(status.exitCode()).as(status.err()).isZero();
        assertThat(status.out()).contains("Servers:      " + dead + ", " + server.baseUrl() + "\n")
                .contains("Answered by:  " + server.baseUrl() + "\n")
                .contains("Server says:  token accepted (robot " + saved.robotId());
    }

    @Test
    void a_rotation_pushed_by_the_server_keeps_the_server_list() throws Exception {
        AgentConfig saved = enrollThroughBoth("failover-bot-4");
        agent = AgentConnection.start(saved, AgentConfigFile.at(config), AgentConnectionTest.FAST);
        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();

        assertThat(server.post("/api/robots/" + saved.robotId() + "/rotate-token", "{}", server.adminKey()).status()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(10)).until(() ->
                !AgentConfigFile.at(config).read().orElseThrow().robotToken().equals(saved.robotToken()));
        assertThat(AgentConfigFile.at(config).read().orElseThrow().servers()).isEqualTo(List.of(dead, server.baseUrl()));
    }

    @Test
    void run_ignores_other_server_flags_once_enrolled_and_says_so() {
        enrollThroughBoth("failover-bot-5");

        AgentCli.Result result = AgentCli.run("run", "--server", "http://127.0.0.1:1", "--config", config.toString(),
                "--once-connected-exit");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("Using the saved servers " + dead + ", " + server.baseUrl()
                + "; ignoring --server http://127.0.0.1:1");
    }

    @Test
    void rotate_token_from_the_command_line_moves_past_a_dead_first_server() {
        AgentConfig saved = enrollThroughBoth("failover-bot-6");

        AgentCli.Result result = AgentCli.run("rotate-token", "--config", config.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("Server " + dead + " unreachable, trying " + server.baseUrl() + "...\n");
        AgentConfig rotated = AgentConfigFile.at(config).read().orElseThrow();
        assertThat(rotated.robotToken()).isNotEqualTo(saved.robotToken());
        assertThat(rotated.servers()).containsExactly(dead, server.baseUrl());
    }
}
