package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension.ConfiguresServer;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeTicker;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Liveness timeouts of the agent channel, driven by a {@link FakeTicker} rather than by waiting: a greeted agent that
 * stops talking is offline after three missed heartbeats and not before; a socket that never says hello is closed.
 */
@BeaconTest
class HeartbeatTimeoutTest implements ConfiguresServer {
    static final int INTERVAL_S = 15;

    @Parameter
    Backend backend;

    final FakeTicker ticker = new FakeTicker();
    TestServer server;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withHeartbeatInterval(INTERVAL_S).withTicker(ticker);
    }

    @Test
    void a_silent_agent_goes_offline_after_three_missed_heartbeats_and_not_before() throws Exception {
        JsonNode key = server.enrollmentKey(5);
        JsonNode silent = server.claim(key.get("key_value").asText(), "silent-bot").json();
        JsonNode mute = server.claim(key.get("key_value").asText(), "mute-bot").json();
        try (RawAgentSocket greeted = RawAgentSocket.connect(server.baseUrl(), silent.get("robot_token").asText());
             RawAgentSocket neverGreets = RawAgentSocket.connect(server.baseUrl(), mute.get("robot_token").asText())) {
            greeted.hello().next("welcome");
            awaitStatus("silent-bot", "online");

            // Just short of three intervals: past the 10 s hello timeout, so the socket that never said hello being
            // closed shows that a sweep ran on the advanced ticker; the silent agent must still be online after it.
            ticker.advance(Duration.ofSeconds(INTERVAL_S * 3L - 1));
            assertThat(neverGreets.next("error").get("code").asText()).isEqualTo("hello_timeout");
            assertThat(neverGreets.awaitClosed()).isEqualTo(1000);
            assertThat(robot("silent-bot").get("status").asText()).isEqualTo("online");
            assertThat(greeted.isClosed()).isFalse();

            ticker.advance(Duration.ofSeconds(2));
            awaitStatus("silent-bot", "offline");
            assertThat(greeted.awaitClosed()).isEqualTo(1000);
        }
    }

    private JsonNode robot(String name) {
        for (JsonNode robot : server.get("/api/robots", server.adminKey()).json().get("items")) {
            if (robot.get("name").asText().equals(name)) {
                return robot;
            }
        }
        throw new AssertionError("no robot " + name);
    }

    private void awaitStatus(String name, String status) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> status.equals(robot(name).get("status").asText()));
    }
}
