package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension.ConfiguresServer;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * What a connection may do before hello, and the bounds on token rotation: a rotate-only hello, one rotation
 * outstanding per robot, agent rotations rate-limited, unacknowledged tokens expiring, heartbeat floods closed.
 */
@BeaconTest
class TokenRotationLimitsTest implements ConfiguresServer {
    @Parameter
    Backend backend;

    final FakeClock clock = new FakeClock();
    TestServer server;
    String token;
    String robotId;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock);
    }

    @BeforeEach
    void start() {
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), "limit-bot").json();
        token = enrolled.get("robot_token").asText();
        robotId = enrolled.get("robot_id").asText();
    }

    @Test
    void token_frames_before_hello_are_refused_and_a_rotate_only_hello_rotates_without_coming_online() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            assertThat(socket.send("{\"type\":\"token.rotate\"}").next().get("code").asText()).isEqualTo("hello_required");
            assertThat(socket.send("{\"type\":\"token.rotated.ack\"}").next().get("code").asText()).isEqualTo("hello_required");
            assertThat(socket.send("{\"type\":\"hello\",\"purpose\":\"teleport\"}").next().get("code").asText()).isEqualTo("invalid_hello");

            JsonNode welcome = socket.rotateOnlyHello().next();
            assertThat(welcome.get("type").asText()).isEqualTo("welcome");
            assertThat(welcome.get("purpose").asText()).isEqualTo("rotate-token");
            assertThat(robot().get("status").asText()).isEqualTo("offline");
            assertThat(socket.send("{\"type\":\"heartbeat\"}").next().get("code").asText()).isEqualTo("rotate_only");
            assertThat(socket.send("{\"type\":\"job.accepted\",\"job_id\":\"job_x\"}").next().get("code").asText()).isEqualTo("rotate_only");

            String rotated = socket.send("{\"type\":\"token.rotate\"}").next("token.rotated").get("token").asText();
            assertThat(status(rotated)).isEqualTo(200);
            assertThat(status(token)).isEqualTo(200); // valid until the ack
            socket.send("{\"type\":\"token.rotated.ack\"}");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> status(token) == 401);
            assertThat(status(rotated)).isEqualTo(200);
        }
        assertThat(robot().get("status").asText()).isEqualTo("offline");
    }

    @Test
    void only_one_rotation_is_outstanding_per_robot_on_every_path() throws Exception {
        try (RawAgentSocket agent = RawAgentSocket.connect(server.baseUrl(), token);
             RawAgentSocket rotator = RawAgentSocket.connect(server.baseUrl(), token)) {
            agent.hello().next("welcome");
            rotator.rotateOnlyHello().next("welcome");
            assertThat(rotator.send("{\"type\":\"token.rotate\"}").next("token.rotated").get("token").asText()).startsWith("rf_robot_");

            assertThat(rotator.send("{\"type\":\"token.rotate\"}").next().get("code").asText()).isEqualTo("rotation_pending");
            TestServer.Response operator = server.post("/api/robots/" + robotId + "/rotate-token", "{}", server.adminKey());
            assertThat(operator.status()).isEqualTo(409);
            assertThat(operator.code()).isEqualTo("token_rotation_pending");
            assertThat(operator.raw().headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");

            rotator.send("{\"type\":\"token.rotated.ack\"}");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> status(token) == 401);
            assertThat(server.post("/api/robots/" + robotId + "/rotate-token", "{}", server.adminKey()).status()).isEqualTo(202);
            assertThat(agent.next("token.rotated").get("token").asText()).startsWith("rf_robot_");
        }
    }

    @Test
    void agent_rotations_are_rate_limited_per_robot_but_operator_rotations_are_not() throws Exception {
        String current = token;
        for (int i = 0; i < TokenRotation.AGENT_ROTATION_BURST; i++) {
            try (RawAgentSocket rotator = RawAgentSocket.connect(server.baseUrl(), current)) {
                rotator.rotateOnlyHello().next("welcome");
                current = rotator.send("{\"type\":\"token.rotate\"}").next("token.rotated").get("token").asText();
                rotator.send("{\"type\":\"token.rotated.ack\"}");
                String saved = current;
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> liveTokens(saved));
            }
        }
        try (RawAgentSocket rotator = RawAgentSocket.connect(server.baseUrl(), current)) {
            rotator.rotateOnlyHello().next("welcome");
            JsonNode refused = rotator.send("{\"type\":\"token.rotate\"}").next();
            assertThat(refused.get("code").asText()).isEqualTo("rotation_rate_limited");
            assertThat(refused.get("detail").asText()).contains("retry in");
        }
        try (RawAgentSocket agent = RawAgentSocket.connect(server.baseUrl(), current)) {
            agent.hello().next("welcome");
            for (int i = 0; i < TokenRotation.AGENT_ROTATION_BURST + 2; i++) {
                assertThat(server.post("/api/robots/" + robotId + "/rotate-token", "{}", server.adminKey()).status()).isEqualTo(202);
                current = agent.next("token.rotated").get("token").asText();
                agent.send("{\"type\":\"token.rotated.ack\"}");
                String saved = current;
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> liveTokens(saved));
            }
        }
    }

    @Test
    void an_unacknowledged_rotated_token_stops_working_once_its_time_is_up() throws Exception {
        String rotated;
        try (RawAgentSocket rotator = RawAgentSocket.connect(server.baseUrl(), token)) {
            rotator.rotateOnlyHello().next("welcome");
            rotated = rotator.send("{\"type\":\"token.rotate\"}").next("token.rotated").get("token").asText();
            assertThat(status(rotated)).isEqualTo(200);
            clock.advance(TokenRotation.ROTATION_TTL.plusSeconds(1));
            assertThat(status(rotated)).isEqualTo(401);
            JsonNode late = rotator.send("{\"type\":\"token.rotated.ack\"}").next();
            assertThat(late.get("code").asText()).isEqualTo("rotation_expired");
        }
        assertThat(status(token)).isEqualTo(200);
        // The expired rotation no longer counts as outstanding: a new one may start.
        try (RawAgentSocket rotator = RawAgentSocket.connect(server.baseUrl(), token)) {
            rotator.rotateOnlyHello().next("welcome");
            assertThat(rotator.send("{\"type\":\"token.rotate\"}").next("token.rotated").get("token").asText()).isNotEqualTo(rotated);
        }
    }

    @Test
    void an_agent_that_says_hello_with_a_rotated_token_keeps_it_even_without_the_ack() throws Exception {
        String rotated;
        try (RawAgentSocket rotator = RawAgentSocket.connect(server.baseUrl(), token)) {
            rotator.rotateOnlyHello().next("welcome");
            rotated = rotator.send("{\"type\":\"token.rotate\"}").next("token.rotated").get("token").asText();
        } // the connection drops before the ack
        try (RawAgentSocket agent = RawAgentSocket.connect(server.baseUrl(), rotated)) {
            agent.hello().next("welcome");
        }
        clock.advance(TokenRotation.ROTATION_TTL.plusSeconds(1));
        assertThat(status(rotated)).isEqualTo(200);
        assertThat(status(token)).isEqualTo(401);
    }

    @Test
    void a_heartbeat_flood_gets_an_error_and_a_close_with_1008() throws Exception {
        try (RawAgentSocket flooder = RawAgentSocket.connect(server.baseUrl(), token)) {
            flooder.hello().next("welcome");
            // As fast as the server answers: far more than 5 a second. Each heartbeat waits for its answer, so the
            // flooder sends nothing after the one refused. (Jetty closes the connection as soon as a close with
            // 1008 is written, without waiting for the peer's close; a peer still sending then gets a reset, which
            // can overtake the close frame it has not read yet.)
            JsonNode answer = null;
            for (int i = 0; i < 200 && !flooder.isClosed(); i++) {
                answer = flooder.send("{\"type\":\"heartbeat\"}").next();
                if (!answer.get("type").asText().equals("heartbeat.ack")) {
                    break;
                }
            }
            assertThat(answer.get("code").asText()).isEqualTo("too_many_heartbeats");
            int status = flooder.awaitClosed();
            assertThat(status).as("close status (the client's error: %s)", flooder.error()).isEqualTo(Liveness.POLICY_VIOLATION);
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> robot().get("status").asText().equals("offline"));
        assertThat(server.get("/metrics", null).body()).containsPattern("beacon_agent_disconnects_total\\{[^}]*reason=\"too_many_heartbeats\"");
    }

    @Test
    void heartbeats_blasted_without_waiting_end_the_connection_and_the_robot_goes_offline() throws Exception {
        try (RawAgentSocket flooder = RawAgentSocket.connect(server.baseUrl(), token)) {
            flooder.hello().next("welcome");
            try {
                for (int i = 0; i < 1000 && !flooder.isClosed(); i++) {
                    flooder.send("{\"type\":\"heartbeat\"}");
                }
            } catch (java.util.concurrent.CompletionException closedWhileSending) {
                // the server closed the socket under the flood
            }
            // 1008, or a reset that overtook the close frame while this client was still sending (see above)
            assertThat(flooder.awaitClosed()).isIn(Liveness.POLICY_VIOLATION, -1);
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> robot().get("status").asText().equals("offline"));
        assertThat(server.get("/metrics", null).body()).containsPattern("beacon_agent_disconnects_total\\{[^}]*reason=\"too_many_heartbeats\"");
        assertThat(server.get("/healthz", null).status()).isEqualTo(200);
    }

    private boolean liveTokens(String only) {
        return status(only) == 200 && status(token) == 401;
    }

    private int status(String robotToken) {
        return server.send(server.request("/api/agent/me", null).header("Authorization", "Bearer " + robotToken).GET()).status();
    }

    private JsonNode robot() {
        return server.get("/api/robots/" + robotId, server.adminKey()).json();
    }
}
