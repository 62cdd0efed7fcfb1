package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The accept-rate limit on agent upgrades: excess upgrades get 503 problem JSON with Retry-After, and are counted. */
class UpgradeLimiterTest {

    @Test
    void a_bucket_of_one_admits_one_upgrade_then_says_how_long_to_wait() {
        UpgradeLimiter limiter = new UpgradeLimiter(1);
        assertThat(limiter.secondsToWait()).isZero();
        assertThat(limiter.secondsToWait()).isEqualTo(1);
    }

    @Test
    void zero_turns_the_limit_off() {
        UpgradeLimiter limiter = new UpgradeLimiter(0);
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.secondsToWait()).isZero();
        }
    }

    @Test
    void excess_upgrades_are_refused_with_503_problem_json_and_a_retry_after_and_counted() throws Exception {
        try (TestServer server = TestServer.start(Backend.SQLITE, config -> config.withAgentConnectsPerSecond(1))) {
            String key = server.enrollmentKey(5).get("key_value").asText();
            String token = server.claim(key, "storm-bot").json().get("robot_token").asText();
            // Several upgrades within well under a second: the bucket holds one, so later ones are refused.
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(rawUpgrade(server.baseUrl(), token));
            }
            String refused = answers.stream().filter(answer -> answer.startsWith("HTTP/1.1 503")).findFirst().orElseThrow(
                    () -> new AssertionError("no upgrade was refused: " + answers));
            assertThat(refused).containsIgnoringCase("Retry-After: ").containsIgnoringCase("application/problem+json");
            String body = refused.substring(refused.indexOf("\r\n\r\n") + 4);
            JsonNode problem = TestServer.JSON.readTree(body.substring(body.indexOf('{'), body.lastIndexOf('}') + 1));
            assertThat(problem.get("code").asText()).isEqualTo("agent_connect_throttled");
            assertThat(problem.get("status").asInt()).isEqualTo(503);
            assertThat(problem.get("title").asText()).isEqualTo("Service Unavailable");
            assertThat(server.get("/metrics", null).body())
                    .containsPattern("beacon_agent_upgrades_refused_total\\{[^}]*code=\"agent_connect_throttled\"[^}]*\\} [1-9]");
            // Once the bucket has refilled, an agent gets in.
            Thread.sleep(1100);
            try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
                assertThat(socket.hello().next().get("type").asText()).isEqualTo("welcome");
            }
        }
    }

    /** Sends a WebSocket upgrade over a plain socket and returns the whole answer (status line, headers, body) for a refusal. */
    private static String rawUpgrade(String baseUrl, String token) throws Exception {
        URI uri = URI.create(baseUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/agent/ws HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            int read;
            while ((read = readSome(in, buffer)) > 0) {
                answer.write(buffer, 0, read);
                String text = answer.toString(StandardCharsets.UTF_8);
                if (text.startsWith("HTTP/1.1 101")) {
                    return text.substring(0, text.indexOf("\r\n"));
                }
                int headersEnd = text.indexOf("\r\n\r\n");
                if (headersEnd > 0 && text.endsWith("\r\n0\r\n\r\n")) {
                    return text; // the last chunk of a chunked body
                }
                if (headersEnd > 0 && text.toLowerCase().contains("content-length: ")) {
                    int at = text.toLowerCase().indexOf("content-length: ") + 16;
                    int length = Integer.parseInt(text.substring(at, text.indexOf("\r\n", at)).strip());
                    if (answer.size() >= headersEnd + 4 + length) {
                        return text;
                    }
                }
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    private static int readSome(InputStream in, byte[] buffer) throws java.io.IOException {
        try {
            return in.read(buffer);
        } catch (java.net.SocketTimeoutException e) {
            return -1;
        }
    }
}
