package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension.ConfiguresServer;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** Presence with real agents (the CLI in separate processes): online, offline, restarts, removal, stale sessions. */
@BeaconTest
class PresenceTest implements ConfiguresServer {
    /** Short, so heartbeats over three intervals take 3 s in a test (the timeout itself is in HeartbeatTimeoutTest). */
    static final int INTERVAL_S = 1;

    @Parameter
    Backend backend;

    @TempDir
    Path tmp;

    TestServer server;
    final List<Process> agents = new ArrayList<>();

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withHeartbeatInterval(INTERVAL_S);
    }

    /**
     * Bounds for things this class does not measure: a fresh agent JVM enrolling (several seconds on a loaded 2-core
     * CI machine, where two of them start at once) and an agent's own backoff back to a restarted server.
     */
    private static final Duration AGENT_START = Duration.ofSeconds(60);
    private static final Duration RECONNECT = Duration.ofSeconds(30);

    @AfterEach
    void stop() {
        agents.forEach(Process::destroyForcibly);
    }

    @Test
    void an_enrolled_agent_is_online_within_a_second_and_offline_within_a_second_of_being_killed() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        Process agent = startAgent(key, "kill-bot");
        String robotId = awaitStatus("kill-bot", "online", AGENT_START).get("id").asText();
        JsonNode detail = server.get("/api/robots/" + robotId, server.adminKey()).json();
        assertThat(detail.get("ip").asText()).isNotBlank();
        assertThat(detail.get("os").asText()).isNotBlank();
        assertThat(detail.get("capabilities")).extracting(JsonNode::asText).contains("echo", "sleep");
        assertThat(detail.get("connections").get(0).get("connected_at").isTextual()).isTrue();

        agent.destroyForcibly(); // SIGKILL: no close frame, the kernel closes the socket
        awaitStatus("kill-bot", "offline", Duration.ofSeconds(1));
    }

    @Test
    void heartbeats_keep_last_seen_fresh_within_an_interval() throws Exception {
        startAgent(server.enrollmentKey(5).get("key_value").asText(), "fresh-bot");
        Instant firstSeen = lastSeen(awaitStatus("fresh-bot", "online", AGENT_START));
        // Wait until heartbeats over three intervals have been stored (not a fixed sleep, which a slow run would outlast
        // without a single heartbeat); the robot must stay online all along.
        JsonNode[] robot = new JsonNode[1];
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
            robot[0] = robot("fresh-bot");
            assertThat(robot[0].get("status").asText()).isEqualTo("online");
            return !lastSeen(robot[0]).isBefore(firstSeen.plusSeconds(INTERVAL_S * 3));
        });
        robot[0] = awaitStatus("fresh-bot", "online", Duration.ofSeconds(1));
        assertThat(Duration.between(lastSeen(robot[0]), Instant.now())).isLessThan(Duration.ofSeconds(INTERVAL_S + 1));
    }

    @Test
    void every_agent_reconnects_by_itself_after_a_server_restart() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        startAgent(key, "restart-bot-1");
        startAgent(key, "restart-bot-2");
        awaitStatus("restart-bot-1", "online", AGENT_START);
        awaitStatus("restart-bot-2", "online", AGENT_START);
        server.restart();
        awaitStatus("restart-bot-1", "online", RECONNECT);
        awaitStatus("restart-bot-2", "online", RECONNECT);
        assertThat(server.get("/api/enrollment-keys", server.adminKey()).json().get("items").get(0).get("uses").asInt()).isEqualTo(2);
    }

    @Test
    void removing_a_robot_stops_its_agent_with_exit_code_3_within_a_second() throws Exception {
        Process agent = startAgent(server.enrollmentKey(5).get("key_value").asText(), "doomed-bot");
        String robotId = awaitStatus("doomed-bot", "online", AGENT_START).get("id").asText();
        assertThat(server.delete("/api/robots/" + robotId, server.adminKey()).status()).isEqualTo(204);
        assertThat(agent.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(3);
        String output = new String(agent.getInputStream().readAllBytes());
        assertThat(output).contains("removed");
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).status()).isEqualTo(404);
        TestServer.Response afterwards = server.send(server.request("/api/agent/me", null)
                .header("Authorization", "Bearer " + savedToken("doomed-bot")).GET());
        assertThat(afterwards.code()).isEqualTo("robot_removed");
    }

    @Test
    void a_stale_session_closing_after_a_reconnect_leaves_the_robot_online() throws Exception {
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), "flaky-bot").json();
        String token = enrolled.get("robot_token").asText();
        try (RawAgentSocket first = RawAgentSocket.connect(server.baseUrl(), token);
             RawAgentSocket second = RawAgentSocket.connect(server.baseUrl(), token)) {
            first.hello().next("welcome");
            second.hello().next("welcome");
            assertThat(first.next("bye").get("reason").asText()).isEqualTo("replaced");
            first.close();
            // The server is done with the stale session once it counted its end; its socket is forgotten then, so a
            // close that arrives for it later changes nothing. Wait for that rather than sleep.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> server.metric("beacon_agent_disconnects_total") >= 1);
            second.send("{\"type\":\"heartbeat\"}").next("heartbeat.ack");
            awaitStatus("flaky-bot", "online", Duration.ofSeconds(1));
            assertThat(server.metric("beacon_agents_connected")).isEqualTo(1);
            assertThat(robot("flaky-bot").get("status").asText()).isEqualTo("online");
        }
    }

    private Process startAgent(String key, String name) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.beacon.Main",
                "agent", "run", "--server", server.baseUrl(), "--enrollment-key", key, "--name", name,
                "--config", tmp.resolve(name + ".toml").toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.PIPE).start();
        agents.add(process);
        return process;
    }

    private String savedToken(String name) throws Exception {
        return new com.fasterxml.jackson.dataformat.toml.TomlMapper().readTree(new File(tmp.resolve(name + ".toml").toString()))
                .get("robot_token").asText();
    }

    private static Instant lastSeen(JsonNode robot) {
        return Instant.parse(robot.get("last_seen_at").asText());
    }

    private JsonNode robot(String name) {
        for (JsonNode robot : server.get("/api/robots", server.adminKey()).json().get("items")) {
            if (robot.get("name").asText().equals(name)) {
                return robot;
            }
        }
        return null;
    }

    private JsonNode awaitStatus(String name, String status, Duration within) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> {
            found[0] = robot(name);
            return found[0] != null && status.equals(found[0].get("status").asText());
        });
        return found[0];
    }
}
