package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.CapturingAppender;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The accept-rate limit on agent upgrades: excess upgrades get 503 problem JSON with Retry-After, and are counted;
 * upgrades without a valid token spend none of it, and are limited (429) and logged per source address.
 */
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
    void how_long_upgrades_waited_before_their_check_is_measured() throws Exception {
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            String key = server.enrollmentKey(5).get("key_value").asText();
            String token = server.claim(key, "queued-bot").json().get("robot_token").asText();
            try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
                assertThat(socket.hello().next().get("type").asText()).isEqualTo("welcome");
            }
            String metrics = server.get("/metrics", null).body();
            assertThat(metrics).containsPattern("(?m)^beacon_agent_upgrade_queued_seconds_count(\\{[^}]*\\})? 1(\\.0)?$");
            // a fresh upgrade on an idle server waited far less than 100 ms: it is in the first bucket
            assertThat(metrics).containsPattern("(?m)^beacon_agent_upgrade_queued_seconds_bucket\\{[^}]*le=\"0\\.1\"[^}]*\\} 1(\\.0)?$");
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
            // Once the bucket has refilled (a second at most), an agent gets in: wait for that upgrade to be let
            // through rather than sleeping a fixed second and hoping.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().untilAsserted(() -> {
                try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
                    assertThat(socket.hello().next().get("type").asText()).isEqualTo("welcome");
                }
            });
        }
    }

    @Test
    void a_flood_of_upgrades_without_a_valid_token_neither_starves_real_agents_nor_floods_the_log() throws Exception {
        try (TestServer server = TestServer.start(Backend.SQLITE, config -> config.withAgentConnectsPerSecond(50))) {
            String key = server.enrollmentKey(15).get("key_value").asText();
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                tokens.add(server.claim(key, "real-bot-" + i).json().get("robot_token").asText());
            }
            int linesBefore = floodLines();
            // The flood comes from another loopback address than the real agents, as it would from another machine.
            AtomicBoolean flooding = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> floodAnswers = new ConcurrentLinkedQueue<>();
            ExecutorService flood = Executors.newFixedThreadPool(4);
            for (int t = 0; t < 4; t++) {
                int thread = t;
                flood.submit(() -> {
                    while (flooding.get()) {
                        try {
                            String answer = rawUpgrade(server.baseUrl(), thread % 2 == 0 ? null : "rf_robot_not-a-real-token", FLOOD_SOURCE);
                            floodAnswers.add(answer.substring(0, Math.min(12, answer.length())));
                        } catch (Exception e) {
                            floodAnswers.add("error " + e);
                        }
                    }
                    return null;
                });
            }
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> floodAnswers.size() >= 300);
                for (String token : tokens) {
                    // A 503 here (the accept budget spent by the flood) fails the test.
                    try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token)) {
                        assertThat(socket.hello().next().get("type").asText()).isEqualTo("welcome");
                    }
                }
            } finally {
                flooding.set(false);
                flood.shutdown();
                flood.awaitTermination(10, TimeUnit.SECONDS);
            }
            assertThat(floodAnswers).noneMatch(answer -> answer.startsWith("HTTP/1.1 101")).noneMatch(answer -> answer.startsWith("HTTP/1.1 503"));
            assertThat(floodAnswers).anyMatch(answer -> answer.startsWith("HTTP/1.1 401"));
            assertThat(floodAnswers).anyMatch(answer -> answer.startsWith("HTTP/1.1 429"));
            String metrics = server.get("/metrics", null).body();
            assertThat(metrics).containsPattern("beacon_agent_upgrades_refused_total\\{[^}]*code=\"unauthorized\"[^}]*\\} [1-9]");
            assertThat(metrics).containsPattern("beacon_agent_upgrades_refused_total\\{[^}]*code=\"rate_limited\"[^}]*\\} [1-9]");
            assertThat(floodLines() - linesBefore).as("log lines about the flooding address").isEqualTo(1);
        }
    }

    private static final String FLOOD_SOURCE = "127.0.0.2";

    private static int floodLines() {
        return (int) CapturingAppender.lines().stream().filter(line -> line.contains("refused agent connection from " + FLOOD_SOURCE)).count();
    }

    private static String rawUpgrade(String baseUrl, String token) throws Exception {
        return rawUpgrade(baseUrl, token, null);
    }

    /**
     * Sends a WebSocket upgrade over a plain socket (from {@code localAddress} when set; without Authorization when
     * {@code token} is null) and returns the whole answer (status line, headers, body) for a refusal.
     */
    private static String rawUpgrade(String baseUrl, String token, String localAddress) throws Exception {
        URI uri = URI.create(baseUrl);
        try (Socket socket = localAddress == null ? new Socket(uri.getHost(), uri.getPort())
                : new Socket(java.net.InetAddress.getByName(uri.getHost()), uri.getPort(), java.net.InetAddress.getByName(localAddress), 0)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/agent/ws HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
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
