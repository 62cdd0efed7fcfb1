package dev.beacon.agent;

import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code beacon agent rotate-token}: opens a WebSocket with the saved token, says a rotate-only {@code hello}
 * (purpose {@code rotate-token}: no presence, so a running agent keeps its session), sends {@code token.rotate}, saves
 * the {@code token.rotated} token atomically, acknowledges it, and closes. Stateless entry point; each call uses its
 * own listener, which the JDK calls one callback at a time.
 */
public final class TokenRotation {
    private static final Logger LOG = LoggerFactory.getLogger(TokenRotation.class);

    private TokenRotation() {
    }

    /**
     * Rotates the token of the enrolled config in {@code credentials} at its first server, blocking for at most
     * {@code timeout}; see {@link #rotate(CredentialStore, ServerEndpoint, HttpClient, Duration)}.
     */
    public static AgentConfig rotate(CredentialStore credentials, HttpClient http, Duration timeout)
            throws InterruptedException {
        return rotate(credentials, ServerEndpoint.of(credentials.current()), http, timeout);
    }

    /**
     * Rotates the token of the enrolled config in {@code credentials} at {@code server}, blocking for at most
     * {@code timeout}, and returns the saved config. Throws {@link ServerUnreachableException} when the server
     * cannot be reached (so a caller may try another node), {@link TokenRefusedException} when it refuses the
     * current token and {@link AgentException} for anything else; the file is changed only once a valid new token
     * has arrived.
     */
    public static AgentConfig rotate(CredentialStore credentials, ServerEndpoint server, HttpClient http,
                                     Duration timeout) throws InterruptedException {
        AgentConfig config = credentials.current();
        URI uri = server.websocketUri();
        Listener listener = new Listener(credentials, uri);
        CompletableFuture<WebSocket> opening = http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + config.robotToken())
                .connectTimeout(ServerEndpoint.CONNECT_TIMEOUT)
                .buildAsync(uri, listener);
        opening.whenComplete((ws, failure) -> {
            if (failure != null && !(unwrap(failure) instanceof WebSocketHandshakeException)) {
                listener.done.completeExceptionally(ServerUnreachableException.of(uri, failure)); // no answer at all
            } else if (failure != null) {
                listener.fail(SessionEnd.ofDialFailure(failure, uri, credentials.file().path()));
            }
        });
        try {
            return listener.done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AgentException agentFailure) {
                throw agentFailure;
            }
            throw new AgentException("Token rotation failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new AgentException("No new token from " + uri + " within " + timeout.toSeconds() + " s; "
                    + credentials.file().path() + " was not changed.");
        } finally {
            opening.thenAccept(WebSocket::abort); // after our close frame, or at once when we gave up
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static final class Listener implements WebSocket.Listener {
        private final CredentialStore credentials;
        private final URI uri;
        private final CompletableFuture<AgentConfig> done = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        private CompletableFuture<WebSocket> sending = CompletableFuture.completedFuture(null);

        Listener(CredentialStore credentials, URI uri) {
            this.credentials = credentials;
            this.uri = uri;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            // The server handles frames in order, so the rotation can follow the hello without waiting for welcome.
            send(webSocket, Frame.Hello.rotateOnly());
            send(webSocket, new Frame.TokenRotate());
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                handle(webSocket, text);
            }
            webSocket.request(1);
            return null;
        }

        private void handle(WebSocket webSocket, String text) {
            Frame frame;
            try {
                frame = AgentJson.FRAMES.read(text);
            } catch (FrameException e) {
                LOG.debug("ignoring a frame while waiting for token.rotated: {}", e.detail());
                return;
            }
            if (frame instanceof Frame.TokenRotated rotated) {
                try {
                    AgentConfig saved = credentials.replaceToken(rotated.token() == null ? "" : rotated.token());
                    send(webSocket, new Frame.TokenRotatedAck());
                    sending = sending.thenCompose(ws -> webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "token rotated"));
                    sending.whenComplete((ws, failure) -> done.complete(saved));
                } catch (AgentException e) {
                    done.completeExceptionally(e);
                }
            } else if (frame instanceof Frame.Error error) {
                String reason = error.detail() != null ? error.detail() : error.code() != null ? error.code() : "no reason given";
                done.completeExceptionally(new AgentException("The server refused to rotate the token: "
                        + reason + " " + credentials.file().path() + " was not changed."));
            } else if (frame instanceof Frame.JobAssign assign) {
                send(webSocket, new Frame.JobResult(assign.jobId(), JobStatus.FAILED.wireName(), null, null,
                        "this connection only rotates the token; assign the job again"));
            } else if (frame instanceof Frame.Bye bye) {
                fail(SessionEnd.ofBye(bye.reason() == null ? "" : bye.reason(), credentials.file().path()));
            } else {
                LOG.debug("ignoring a {} frame while waiting for token.rotated", frame.type());
            }
        }

        private void send(WebSocket webSocket, Frame frame) {
            String text = AgentJson.FRAMES.write(frame);
            sending = sending.thenCompose(ws -> webSocket.sendText(text, true)); // the JDK allows one send at a time
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            done.completeExceptionally(new AgentException("The server closed the connection (" + statusCode
                    + ") before sending a new token; " + credentials.file().path() + " was not changed."));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            done.completeExceptionally(ServerUnreachableException.of(uri, error));
        }

        void fail(SessionEnd end) {
            // An if-chain rather than a pattern switch: this module compiles for Java 17.
            if (end instanceof SessionEnd.Exit exit) {
                done.completeExceptionally(exit.exitCode() == TokenRefusedException.EXIT_CODE
                        ? new TokenRefusedException(exit.message()) : new AgentException(exit.message()));
            } else if (end instanceof SessionEnd.Reconnect reconnect) {
                done.completeExceptionally(new AgentException("Token rotation failed: " + reconnect.reason()
                        + "; " + credentials.file().path() + " was not changed."));
            }
        }
    }
}
