package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentConnectionTest {
    static final ConnectionOptions FAST = ConnectionOptions.defaults()
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withHost(new HostFacts("test-host", "linux", "amd64", "9.9.9"));
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    FakeBeaconServer server;
    AgentConfigFile file;
    AgentConnection agent;

    @BeforeEach
    void startServer() {
        server = FakeBeaconServer.start();
        file = AgentConfigFile.at(tmp.resolve("agent.toml"));
    }

    @AfterEach
    void stopAll() {
        if (agent != null) {
            agent.stop();
        }
        server.close();
    }

    AgentConnection startAgent(Map<String, HandlerConfig> handlers) {
        AgentConfig config = new AgentConfig(server.baseUrl(), server.robotId(), server.robotToken(), "bot-1", "default",
                "warehouse-a", "dock-2", null, Map.of("zone", "a"), handlers);
        file.write(config);
        agent = AgentConnection.start(config, file, FAST);
        return agent;
    }

    AgentConnection startConnectedAgent() throws InterruptedException {
        startAgent(Map.of());
        assertThat(agent.awaitConnected(WAIT)).isTrue();
        return agent;
    }

    @Test
    void says_hello_with_the_robot_token_and_what_it_can_do() throws Exception {
        startAgent(Map.of("backup", new HandlerConfig(List.of("/bin/true"), null)));

        JsonNode hello = server.awaitFrame("hello");

        assertThat(server.authorizations()).first().isEqualTo("Bearer " + server.robotToken());
        assertThat(hello.path("hostname").asText()).isEqualTo("test-host");
        assertThat(hello.path("os").asText()).isEqualTo("linux");
        assertThat(hello.path("arch").asText()).isEqualTo("amd64");
        assertThat(hello.path("agent_version").asText()).isEqualTo("9.9.9");
        assertThat(hello.path("capabilities").toString()).isEqualTo("[\"echo\",\"sleep\",\"backup\"]");
        assertThat(hello.path("labels").path("zone").asText()).isEqualTo("a");
        assertThat(agent.awaitConnected(WAIT)).isTrue();
        assertThat(agent.sessionId()).contains("s-1");
    }

    @Test
    void connects_to_the_socket_derived_from_server_even_when_an_older_file_saved_another_url() throws Exception {
        // Older agents saved the websocket_url announced at enrollment; after the server moved, that stale URL
        // (here a closed port) must not win over the server the file names now.
        java.nio.file.Files.writeString(file.path(), "server = \"" + server.baseUrl() + "\"\n"
                + "robot_id = \"" + server.robotId() + "\"\n"
                + "robot_token = \"" + server.robotToken() + "\"\n"
                + "name = \"bot-1\"\n"
                + "websocket_url = \"ws://127.0.0.1:9/api/agent/ws\"\n");

        agent = AgentConnection.start(file.read().orElseThrow(), file, FAST);

        assertThat(agent.awaitConnected(WAIT)).isTrue();
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void sends_heartbeats_with_an_rfc3339_time_every_interval_after_welcome() throws Exception {
        startConnectedAgent();

        JsonNode first = server.awaitFrame("heartbeat");
        JsonNode second = server.awaitFrame("heartbeat");

        assertThat(first.path("sent_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(second.path("sent_at").asText()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"revoked", "removed"})
    void stops_with_exit_code_3_when_the_server_says_the_token_is_gone(String reason) throws Exception {
        startConnectedAgent();

        server.send("{\"type\":\"bye\",\"reason\":\"" + reason + "\"}");

        assertThat(agent.awaitExit(WAIT)).hasValue(3);
        assertThat(agent.exitMessage()).contains(reason).contains("delete " + file.path());
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void stops_with_exit_code_1_when_another_agent_replaced_this_one() throws Exception {
        startConnectedAgent();

        server.send("{\"type\":\"bye\",\"reason\":\"replaced\"}");

        assertThat(agent.awaitExit(WAIT)).hasValue(1);
        assertThat(agent.exitMessage()).contains("Another agent connected with this robot's token");
    }

    @Test
    void reconnects_when_the_server_says_it_is_shutting_down() throws Exception {
        startConnectedAgent();

        server.send("{\"type\":\"bye\",\"reason\":\"shutdown\"}");

        await().atMost(WAIT).until(() -> server.connections() == 2);
        assertThat(server.await("hello", WAIT).connection()).isNotNull();
        assertThat(agent.exitCode()).isEmpty();
    }

    @Test
    void reconnects_after_the_connection_drops() throws Exception {
        startConnectedAgent();

        server.close(1011, "server error");

        await().atMost(WAIT).until(() -> server.connections() == 2);
        await().atMost(WAIT).until(() -> agent.sessionId().orElse("").equals("s-2"));
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void stops_with_exit_code_3_when_the_upgrade_is_refused(int status) throws Exception {
        server.refuseUpgrades(status, "robot_token_revoked");

        startAgent(Map.of());

        assertThat(agent.awaitExit(WAIT)).hasValue(3);
        assertThat(agent.exitMessage()).contains("revoked").contains(file.path().toString());
    }

    @Test
    void keeps_retrying_while_the_server_is_unreachable_and_stops_cleanly() throws Exception {
        server.close();
        startAgent(Map.of());

        assertThat(agent.awaitExit(Duration.ofMillis(700))).isEmpty();
        agent.stop();

        assertThat(agent.exitCode()).hasValue(0);
    }

    @Test
    void stop_closes_with_status_1000() throws Exception {
        startConnectedAgent();

        agent.stop();

        assertThat(server.awaitClose(WAIT).status()).isEqualTo(1000);
        assertThat(agent.exitCode()).hasValue(0);
    }

    @Test
    void saves_a_rotated_token_before_acknowledging_it() throws Exception {
        startConnectedAgent();
        String newToken = TokenFormat.generate(TokenKind.ROBOT).value();

        server.send("{\"type\":\"token.rotated\",\"token\":\"" + newToken + "\"}");
        server.awaitFrame("token.rotated.ack");

        // The ack came after the write, so the file already holds the new token.
        assertThat(file.read().orElseThrow().robotToken()).isEqualTo(newToken);
        assertThat(agent.config().robotToken()).isEqualTo(newToken);
    }

    @Test
    void reconnects_with_the_rotated_token() throws Exception {
        startConnectedAgent();
        String newToken = TokenFormat.generate(TokenKind.ROBOT).value();
        server.send("{\"type\":\"token.rotated\",\"token\":\"" + newToken + "\"}");
        server.awaitFrame("token.rotated.ack");
        server.acceptOnly(newToken);

        server.close(1001, "going away");

        await().atMost(WAIT).until(() -> server.connections() == 2);
        assertThat(server.authorizations()).last().isEqualTo("Bearer " + newToken);
        assertThat(agent.exitCode()).isEmpty();
    }

    @Test
    void does_not_acknowledge_a_malformed_rotated_token() throws Exception {
        startConnectedAgent();
        String before = file.read().orElseThrow().robotToken();

        server.send("{\"type\":\"token.rotated\",\"token\":\"rf_robot_123\"}");
        server.send("{\"type\":\"job.assign\",\"job_id\":\"j0\",\"kind\":\"echo\",\"payload\":1}");
        server.awaitFrame("job.result");

        assertThat(file.read().orElseThrow().robotToken()).isEqualTo(before);
    }

    @Test
    void runs_an_echo_job_and_reports_accepted_then_the_result() throws Exception {
        startConnectedAgent();

        server.send("{\"type\":\"job.assign\",\"job_id\":\"j1\",\"kind\":\"echo\",\"payload\":{\"hello\":[1,2]},\"timeout_s\":30}");

        assertThat(server.awaitFrame("job.accepted").path("job_id").asText()).isEqualTo("j1");
        JsonNode result = server.awaitFrame("job.result");
        assertThat(result.path("job_id").asText()).isEqualTo("j1");
        assertThat(result.path("status").asText()).isEqualTo("succeeded");
        assertThat(result.path("output").toString()).isEqualTo("{\"hello\":[1,2]}");
    }

    @Test
    void cancels_a_running_job_when_told_to() throws Exception {
        startConnectedAgent();
        server.send("{\"type\":\"job.assign\",\"job_id\":\"j2\",\"kind\":\"sleep\",\"payload\":{\"seconds\":30}}");
        server.awaitFrame("job.accepted");

        server.send("{\"type\":\"job.cancel\",\"job_id\":\"j2\"}");

        JsonNode result = server.awaitFrame("job.result");
        assertThat(result.path("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void refuses_a_second_job_while_one_runs_and_a_kind_it_does_not_advertise() throws Exception {
        startConnectedAgent();
        server.send("{\"type\":\"job.assign\",\"job_id\":\"j3\",\"kind\":\"sleep\",\"payload\":{\"seconds\":30}}");
        server.awaitFrame("job.accepted");

        server.send("{\"type\":\"job.assign\",\"job_id\":\"j4\",\"kind\":\"echo\",\"payload\":null}");
        JsonNode busy = server.awaitFrame("job.result");
        server.send("{\"type\":\"job.assign\",\"job_id\":\"j5\",\"kind\":\"backup\",\"payload\":null}");
        JsonNode unknown = server.awaitFrame("job.result");

        assertThat(busy.path("job_id").asText()).isEqualTo("j4");
        assertThat(busy.path("status").asText()).isEqualTo("failed");
        assertThat(busy.path("error").asText()).contains("busy with job j3");
        assertThat(unknown.path("job_id").asText()).isEqualTo("j5");
        assertThat(unknown.path("error").asText()).contains("no handler for kind \"backup\"");
    }

    @Test
    void ignores_unknown_and_malformed_frames() throws Exception {
        startConnectedAgent();

        server.send("{\"type\":\"from.the.future\"}");
        server.send("not json at all");
        server.send("{\"type\":\"job.assign\"}");

        server.send("{\"type\":\"job.assign\",\"job_id\":\"j6\",\"kind\":\"echo\",\"payload\":\"still here\"}");
        assertThat(server.awaitFrame("job.result").path("output").asText()).isEqualTo("still here");
        assertThat(agent.exitCode()).isEqualTo(OptionalInt.empty());
    }
}
