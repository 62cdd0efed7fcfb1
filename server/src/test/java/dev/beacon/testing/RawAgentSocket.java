package dev.beacon.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bare WebSocket client speaking to {@code /api/agent/ws} frame by frame, for protocol tests that must
 * misbehave in ways the real agent never would (garbage, silence, frames before hello).
 */
public final class RawAgentSocket implements AutoCloseable {
    private final WebSocket socket;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** What ended the socket abruptly (the -1 of {@link #awaitClosed}), for failure messages; null otherwise. */
    private volatile Throwable error;

    private RawAgentSocket(String baseUrl, String token) {
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    received.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable failure) {
                error = failure;
                closed.complete(-1);
            }
        };
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create(baseUrl.replaceFirst("^http", "ws") + "/api/agent/ws"), listener)
                .join();
    }

    /** Opens a socket; throws the handshake failure (with the HTTP status) when the upgrade is refused. */
    public static RawAgentSocket connect(String baseUrl, String token) {
        try {
            return new RawAgentSocket(baseUrl, token);
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException handshake) {
                throw new Refused(handshake.getResponse().statusCode());
            }
            throw e;
        }
    }

    /** The upgrade was refused with this HTTP status. */
    public static final class Refused extends RuntimeException {
        public final int status;

        Refused(int status) {
            super("upgrade refused with " + status);
            this.status = status;
        }
    }

    public RawAgentSocket send(String text) {
        socket.sendText(text, true).join();
        return this;
    }

    /** Sends one text message as several frames, one per part. */
    public RawAgentSocket sendInParts(String... parts) {
        for (int i = 0; i < parts.length; i++) {
            socket.sendText(parts[i], i == parts.length - 1).join();
        }
        return this;
    }

    public RawAgentSocket sendBinary(byte[] data) {
        socket.sendBinary(java.nio.ByteBuffer.wrap(data), true).join();
        return this;
    }

    public RawAgentSocket hello() {
        return send("{\"type\":\"hello\",\"hostname\":\"raw\",\"os\":\"linux\",\"arch\":\"amd64\",\"agent_version\":\"test\","
                + "\"capabilities\":[\"echo\"],\"labels\":{}}");
    }

    /** The hello of a connection that only rotates the token (as {@code beacon agent rotate-token} says it). */
    public RawAgentSocket rotateOnlyHello() {
        return send("{\"type\":\"hello\",\"purpose\":\"rotate-token\"}");
    }

    /** The next frame, parsed; fails after 5 s. */
    public JsonNode next() throws InterruptedException {
        return next(Duration.ofSeconds(5));
    }

    /** The next frame, parsed; fails after {@code within}. */
    public JsonNode next(Duration within) throws InterruptedException {
        String text = received.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (text == null) {
            throw new AssertionError("no frame within " + within.toMillis() + " ms");
        }
        try {
            return TestServer.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("server sent non-JSON: " + text, e);
        }
    }

    /** Whether a frame has arrived that {@link #next()} would return now. */
    public boolean hasFrame() {
        return !received.isEmpty();
    }

    /** The next frame of the given type, skipping others (e.g. heartbeat acks). */
    public JsonNode next(String type) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            JsonNode frame = next();
            if (type.equals(frame.path("type").asText())) {
                return frame;
            }
        }
        throw new AssertionError("no " + type + " frame");
    }

    /** The close status once the server closed the socket, or -1 on an abrupt end. */
    public int awaitClosed() {
        return closed.orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The close status once the server closed the socket (-1 on an abrupt end), or Integer.MIN_VALUE if still open after {@code wait}. */
    public int awaitClosedWithin(Duration wait) {
        try {
            return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return Integer.MIN_VALUE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Integer.MIN_VALUE;
        } catch (java.util.concurrent.ExecutionException e) {
            return -1;
        }
    }

    /** What ended the socket abruptly, or null: the client's error, for a test's failure message. */
    public Throwable error() {
        return error;
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            socket.abort();
        }
    }
}
