package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/** The agent protocol against misbehaving clients: every refusal is clear, and the server stays unharmed. */
@BeaconTest
class ProtocolTest {
    @Parameter
    Backend backend;

    TestServer server;
    String token;
    String robotId;

    @BeforeEach
    void start() {
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), "proto-bot").json();
        token = enrolled.get("robot_token").asText();
        robotId = enrolled.get("robot_id").asText();
    }

    @Test
    void hello_is_answered_with_welcome_and_heartbeats_with_acks() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            JsonNode welcome = socket.hello().next();
            assertThat(welcome.get("type").asText()).isEqualTo("welcome");
            assertThat(welcome.get("robot_id").asText()).isEqualTo(robotId);
            assertThat(welcome.get("heartbeat_interval_s").asInt()).isEqualTo(15);
            assertThat(welcome.get("session_id").asText()).startsWith("ses_");
            JsonNode ack = socket.send("{\"type\":\"heartbeat\",\"sent_at\":\"2026-01-01T00:00:00Z\"}").next();
            assertThat(ack.get("type").asText()).isEqualTo("heartbeat.ack");
            assertThat(ack.get("sent_at").asText()).isEqualTo("2026-01-01T00:00:00Z");
        }
    }

    @Test
    void garbage_unknown_and_early_frames_get_error_frames_and_the_connection_lives_on() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            assertThat(socket.send("{\"type\":\"heartbeat\"}").next().get("code").asText()).isEqualTo("hello_required");
            assertThat(socket.send("not json at all").next().get("code").asText()).isEqualTo("malformed_frame");
            assertThat(socket.send("[1,2,3]").next().get("code").asText()).isEqualTo("malformed_frame");
            assertThat(socket.send("{\"type\":42}").next().get("code").asText()).isEqualTo("malformed_frame");
            assertThat(socket.send("{\"type\":\"hello\",\"capabilities\":\"echo\"}").next().get("code").asText()).isEqualTo("invalid_hello");
            assertThat(socket.hello().next().get("type").asText()).isEqualTo("welcome");
            assertThat(socket.send("{\"type\":\"teleport\"}").next().get("code").asText()).isEqualTo("unknown_frame");
            assertThat(socket.hello().next().get("code").asText()).isEqualTo("duplicate_hello");
            assertThat(socket.send("{\"type\":\"heartbeat\"}").next().get("type").asText()).isEqualTo("heartbeat.ack");
        }
        assertThat(server.get("/healthz", null).status()).isEqualTo(200);
    }

    @Test
    void a_message_sent_in_several_frames_is_read_whole_and_binary_messages_are_ignored() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            JsonNode welcome = socket.sendInParts("{\"type\":\"hel", "lo\",\"hostname\":\"krä", "he-1\",\"os\":\"linux\",\"arch\":\"amd64\",",
                    "\"agent_version\":\"test\",\"capabilities\":[\"echo\"],\"labels\":{}}").next();
            assertThat(welcome.get("type").asText()).isEqualTo("welcome");
            socket.sendBinary(new byte[] {1, 2, 3});
            JsonNode ack = socket.sendInParts("{\"type\":\"heartbeat\",", "\"sent_at\":\"2026-01-01T00:00:00Z\"}").next();
            assertThat(ack.get("type").asText()).isEqualTo("heartbeat.ack"); // the binary message got no answer
            assertThat(ack.get("sent_at").asText()).isEqualTo("2026-01-01T00:00:00Z");
        }
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().path("hostname").asText()).isEqualTo("krähe-1");
    }

    @Test
    void text_that_is_not_utf8_closes_the_connection_with_1007() throws Exception {
        java.net.URI uri = java.net.URI.create(server.baseUrl());
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(5000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("GET /api/agent/ws HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + token
                    + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.readUnsignedByte());
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101");
            // One masked text frame (a zero mask leaves the payload as it is) holding 0xC3 0x28: not UTF-8.
            out.write(new byte[] {(byte) 0x81, (byte) 0x82, 0, 0, 0, 0, (byte) 0xC3, 0x28});
            out.flush();
            int opcode = in.readUnsignedByte() & 0x0F;
            int length = in.readUnsignedByte() & 0x7F;
            assertThat(opcode).as("a close frame").isEqualTo(0x8);
            assertThat(length).isGreaterThanOrEqualTo(2);
            assertThat(in.readUnsignedShort()).isEqualTo(1007);
        }
    }

    @Test
    void a_huge_frame_closes_only_that_connection() throws Exception {
        try (RawAgentSocket bystander = RawAgentSocket.connect(server.baseUrl(), secondRobotToken());
             RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            bystander.hello().next("welcome");
            socket.hello().next("welcome");
            try {
                socket.send("{\"type\":\"heartbeat\",\"pad\":\"" + "x".repeat(2_000_000) + "\"}");
            } catch (java.util.concurrent.CompletionException closedWhileSending) {
                // the server may close the socket before the client has finished writing the frame
            }
            assertThat(socket.awaitClosed()).isIn(1009, -1);
            assertThat(bystander.send("{\"type\":\"heartbeat\"}").next().get("type").asText()).isEqualTo("heartbeat.ack");
        }
    }

    @Test
    void wrong_revoked_and_missing_tokens_are_refused_at_the_upgrade() {
        String unknown = dev.beacon.tokens.TokenFormat.generate(dev.beacon.tokens.TokenKind.ROBOT).value();
        assertThatThrownBy(() -> RawAgentSocket.connect(server.baseUrl(), unknown))
                .isInstanceOfSatisfying(RawAgentSocket.Refused.class, refused -> assertThat(refused.status).isEqualTo(401));
        assertThatThrownBy(() -> RawAgentSocket.connect(server.baseUrl(), "not-a-token"))
                .isInstanceOfSatisfying(RawAgentSocket.Refused.class, refused -> assertThat(refused.status).isEqualTo(401));
        server.post("/api/robots/" + robotId + "/revoke-token", "{}", server.adminKey());
        assertThatThrownBy(() -> RawAgentSocket.connect(server.baseUrl(), token))
                .isInstanceOfSatisfying(RawAgentSocket.Refused.class, refused -> assertThat(refused.status).isEqualTo(401));
        TestServer.Response refused = server.send(server.request("/api/agent/ws", null).header("Authorization", "Bearer " + token).GET());
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.code()).isEqualTo("robot_token_revoked");
        assertThat(server.get("/metrics", null).body()).contains("beacon_agent_upgrades_refused_total");
    }

    @Test
    void revoking_the_token_of_a_connected_robot_says_bye_revoked_and_closes() throws Exception {
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
            socket.hello().next("welcome");
            server.post("/api/robots/" + robotId + "/revoke-token", "{}", server.adminKey());
            assertThat(socket.next("bye").get("reason").asText()).isEqualTo("revoked");
            socket.awaitClosed();
        }
    }

    @Test
    void a_cascade_revoke_of_the_key_closes_its_robots_sockets() throws Exception {
        JsonNode key = server.enrollmentKey(2);
        String cascadedToken = server.claim(key.get("key_value").asText(), "cascade-bot").json().get("robot_token").asText();
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), cascadedToken)) {
            socket.hello().next("welcome");
            server.post("/api/enrollment-keys/" + key.get("id").asText() + "/revoke", "{\"cascade\":true}", server.adminKey());
            assertThat(socket.next("bye").get("reason").asText()).isEqualTo("revoked");
            socket.awaitClosed();
        }
    }

    private String secondRobotToken() {
        return server.claim(server.enrollmentKey(1).get("key_value").asText(), "bystander").json().get("robot_token").asText();
    }
}
