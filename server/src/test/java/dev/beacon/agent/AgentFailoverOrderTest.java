package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which server a running agent with two URLs tries next: after a drop, after a refusal, after a dead end. */
class AgentFailoverOrderTest {
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    FakeBeaconServer first;
    FakeBeaconServer second;
    AgentConnection agent;

    @BeforeEach
    void startServers() {
        first = FakeBeaconServer.start();
        second = FakeBeaconServer.start();
        second.acceptOnly(first.robotToken()); // two nodes of one control plane know the same token
    }

    @AfterEach
    void stopAll() {
        if (agent != null) {
            agent.stop();
        }
        first.close();
        second.close();
    }

    AgentConnection startAgent() {
        AgentConfig config = new AgentConfig(List.of(first.baseUrl(), second.baseUrl()), first.robotId(),
                first.robotToken(), "bot-1", "default", "warehouse-a", "dock-2", null, Map.of(), Map.of());
        AgentConfigFile file = AgentConfigFile.at(tmp.resolve("agent.toml"));
        file.write(config);
        agent = AgentConnection.start(config, file, AgentConnectionTest.FAST);
        return agent;
    }

    @Test
    void the_agent_connects_to_the_first_server_when_it_answers() throws Exception {
        startAgent();

        assertThat(agent.awaitConnected(WAIT)).isTrue();
        assertThat(agent.connectedServer()).contains(first.baseUrl());
        assertThat(second.connections()).isZero();
    }

    @Test
    void after_a_welcomed_session_drops_the_agent_goes_back_to_the_server_that_worked() throws Exception {
        startAgent();
        assertThat(agent.awaitConnected(WAIT)).isTrue();

        first.close(1001, "going away");

        await().atMost(WAIT).until(() -> first.connections() == 2 && agent.connectedServer().isPresent());
        assertThat(agent.connectedServer()).contains(first.baseUrl());
        assertThat(second.connections()).isZero();
    }

    @Test
    void a_server_that_turns_the_upgrade_away_sends_the_agent_to_the_next() throws Exception {
        first.refuseUpgrades(503, "not_ready");

        startAgent();

        assertThat(agent.awaitConnected(WAIT)).isTrue();
        assertThat(agent.connectedServer()).contains(second.baseUrl());
        assertThat(first.connections()).isZero();
    }

    @Test
    void a_refused_token_is_final_and_the_next_server_is_never_asked() throws Exception {
        first.refuseUpgrades(401, "robot_token_revoked");

        startAgent();

        assertThat(agent.awaitExit(WAIT)).hasValue(3);
        assertThat(agent.exitMessage()).contains("revoked");
        assertThat(second.connections()).isZero();
    }
}
