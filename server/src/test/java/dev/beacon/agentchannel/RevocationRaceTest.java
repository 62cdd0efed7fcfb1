package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Revocation and removal race the frames in flight: once revoke-token or DELETE has answered, no token of the
 * robot works and no socket of it lives on, however the requests and frames interleave.
 */
@BeaconTest
class RevocationRaceTest {
    static final int TRIALS = 50;

    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newHttpClient();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void no_token_survives_revoke_token_racing_a_rotate_loop() throws Exception {
        String key = server.enrollmentKey(TRIALS).get("key_value").asText();
        List<String> survivors = new ArrayList<>();
        int minted = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            JsonNode enrolled = server.claim(key, "race-bot-" + trial).json();
            String robotId = enrolled.get("robot_id").asText();
            RotateLoop loop = RotateLoop.open(http, server.baseUrl(), enrolled.get("robot_token").asText());
            try {
                loop.firstRotation.get(30, TimeUnit.SECONDS); // generous: on a loaded machine SQLite's one writer queues the hello check
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("trial " + trial + ": no token.rotated within 30 s; frames received: " + loop.received, e);
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            assertThat(server.post("/api/robots/" + robotId + "/revoke-token", "{}", server.adminKey()).status()).isEqualTo(200);
            loop.closed.get(30, TimeUnit.SECONDS); // bye: revoked
            minted += loop.tokens.size() - 1;
            for (String token : loop.tokens) {
                if (works(token)) {
                    survivors.add("trial " + trial + ": " + token.substring(0, 16) + "…");
                }
            }
        }
        assertThat(minted).as("rotations minted during the trials").isGreaterThanOrEqualTo(TRIALS);
        assertThat(survivors).isEmpty();
    }

    @Test
    void no_socket_of_a_robot_deleted_around_its_upgrade_gets_welcome_or_survives() throws Exception {
        String key = server.enrollmentKey(TRIALS).get("key_value").asText();
        List<String> survivors = new ArrayList<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            JsonNode enrolled = server.claim(key, "doomed-" + trial).json();
            String robotId = enrolled.get("robot_id").asText();
            String token = enrolled.get("robot_token").asText();
            Future<RawAgentSocket> connecting = pool.submit(() -> {
                RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), token);
                try {
                    socket.hello();
                } catch (java.util.concurrent.CompletionException closedAlready) {
                    // the server closed the socket (bye: removed) before the hello went out
                }
                return socket;
            });
            Thread.sleep(ThreadLocalRandom.current().nextInt(4));
            assertThat(server.delete("/api/robots/" + robotId, server.adminKey()).status()).isEqualTo(204);
            RawAgentSocket socket;
            try {
                socket = connecting.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(RawAgentSocket.Refused.class); // the DELETE came first: 401
                continue;
            }
            try (socket) {
                // Whatever came first, the socket must end, and the robot must not be online.
                int status = socket.awaitClosedWithin(Duration.ofSeconds(5));
                if (status == Integer.MIN_VALUE) {
                    survivors.add("trial " + trial + ": socket still open");
                }
                JsonNode robot = server.get("/api/robots/" + robotId, server.adminKey()).json();
                assertThat(robot.path("status").asText("gone")).isNotEqualTo("online");
            }
        }
        assertThat(survivors).isEmpty();
    }

    private boolean works(String token) {
        return server.send(server.request("/api/agent/me", null).header("Authorization", "Bearer " + token).GET()).status() == 200;
    }

    /**
     * A rotate-only connection that asks for a new token as fast as the server answers: each token.rotated is
     * acknowledged and followed by the next token.rotate, and each refusal (pending, rate limit) by another token.rotate.
     */
    static final class RotateLoop implements WebSocket.Listener {
        final Set<String> tokens = ConcurrentHashMap.newKeySet();
        final CompletableFuture<Void> firstRotation = new CompletableFuture<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        final java.util.Queue<String> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final StringBuilder partial = new StringBuilder();
        /** The last send: the JDK client allows one outstanding send, so each waits for the one before it. */
        private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

        /**
         * Sends after the previous send completed. Sending from the listener while the test thread's send was still
         * pending threw "send pending", which the listener swallowed, leaving the loop waiting for ever.
         */
        synchronized void send(WebSocket ws, String text) {
            lastSend = lastSend.handle((ignored, failure) -> null).thenCompose(ignored -> ws.sendText(text, true));
        }

        static RotateLoop open(HttpClient http, String baseUrl, String token) {
            RotateLoop loop = new RotateLoop();
            loop.tokens.add(token);
            WebSocket ws = http.newWebSocketBuilder().header("Authorization", "Bearer " + token).connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create(baseUrl.replaceFirst("^http", "ws") + "/api/agent/ws"), loop).join();
            loop.send(ws, "{\"type\":\"hello\",\"purpose\":\"rotate-token\"}");
            loop.send(ws, "{\"type\":\"token.rotate\"}");
            return loop;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                if (received.size() < 8) {
                    received.add(text.length() > 300 ? text.substring(0, 300) : text);
                }
                try {
                    JsonNode frame = TestServer.JSON.readTree(text);
                    switch (frame.path("type").asText()) {
                        case "token.rotated" -> {
                            tokens.add(frame.get("token").asText());
                            firstRotation.complete(null);
                            send(ws, "{\"type\":\"token.rotated.ack\"}");
                            send(ws, "{\"type\":\"token.rotate\"}");
                        }
                        case "error" -> send(ws, "{\"type\":\"token.rotate\"}");
                        default -> {
                        }
                    }
                } catch (java.io.IOException | RuntimeException sendFailedAfterClose) {
                    // the server closed the connection
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            received.add("close " + statusCode + " " + reason);
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(null);
        }
    }
}
