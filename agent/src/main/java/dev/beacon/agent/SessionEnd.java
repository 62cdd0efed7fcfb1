package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Why one WebSocket session ended, and so whether the agent reconnects or exits. Immutable. */
sealed interface SessionEnd {
    /**
     * A drop worth retrying after a backoff; {@code reason} is one line for the log. {@code notBefore}: how long the
     * server asked the agent to wait first ({@code Retry-After} on a refused upgrade), else zero.
     */
    record Reconnect(String reason, Duration notBefore) implements SessionEnd {
        Reconnect(String reason) {
            this(reason, Duration.ZERO);
        }
    }

    /** Retrying cannot help: the agent stops with {@code exitCode} and says {@code message}. */
    record Exit(int exitCode, String message) implements SessionEnd {
    }

    static final String PROBLEM_CODE_HEADER = "Beacon-Problem-Code";
    static final String PROBLEM_DETAIL_HEADER = "Beacon-Problem-Detail";

    /** What a {@code bye} frame with this {@code reason} means. */
    static SessionEnd ofBye(String reason, Path configPath) {
        String reenroll = " — to re-enroll, delete " + configPath + " and run `beacon agent enroll`.";
        return switch (reason) {
            case "revoked" -> new Exit(TokenRefusedException.EXIT_CODE, "The server revoked this robot's token" + reenroll);
            case "removed" -> new Exit(TokenRefusedException.EXIT_CODE, "This robot was removed from its organization" + reenroll);
            case "replaced" -> new Exit(1, "Another agent connected with this robot's token, so the server closed this"
                    + " connection — run only one agent per " + configPath + ".");
            case "shutdown" -> new Reconnect("the server is shutting down");
            default -> new Reconnect("the server said bye (" + reason + ")");
        };
    }

    /** What a failed WebSocket upgrade to {@code uri} means: 401/403 is final, anything else is retried. */
    static SessionEnd ofDialFailure(Throwable failure, URI uri, Path configPath) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof WebSocketHandshakeException handshake) {
            HttpResponse<?> response = handshake.getResponse();
            int status = response.statusCode();
            // The server names its refusal in headers (the JDK client drops the body of a refused upgrade).
            String code = response.headers().firstValue(PROBLEM_CODE_HEADER).orElseGet(() -> problemCode(response.body()));
            String detail = response.headers().firstValue(PROBLEM_DETAIL_HEADER).orElse("");
            String reason = refusal(status, code, detail);
            if (status == 401 || status == 403) {
                return new Exit(TokenRefusedException.EXIT_CODE, reason + " — to re-enroll, delete " + configPath
                        + " and run `beacon agent enroll`.");
            }
            return new Reconnect(reason + " (HTTP " + status + " to the WebSocket upgrade at " + uri + ")", Backoff.retryAfter(response.headers()));
        }
        return new Reconnect(ServerUnreachableException.of(uri, cause).getMessage());
    }

    /** One line that says why the server refused the upgrade: its own detail and code when it sent them. */
    static String refusal(int status, String code, String detail) {
        if (!detail.isBlank()) {
            boolean credentials = status == 401 || status == 403;
            String text = detail.strip();
            int firstSentence = text.indexOf(". ");
            // A refused token's advice is the agent's own (where its config is); a busy server's says when to retry.
            String said = credentials && firstSentence > 0 ? text.substring(0, firstSentence) : text;
            if (said.endsWith(".")) {
                said = said.substring(0, said.length() - 1);
            }
            return (credentials ? "The server refused this robot's token: " : "The server refused the connection: ") + said
                    + " (" + code + ")";
        }
        return switch (code) {
            case "robot_removed" -> "This robot was removed from its organization (robot_removed)";
            case "robot_token_revoked" -> "The server revoked this robot's token (robot_token_revoked)";
            default -> status == 401 || status == 403
                    ? "The server refused this robot's token (HTTP " + status + (code.isEmpty() ? "" : " " + code)
                            + "); it was revoked, rotated, or the robot removed"
                    : "The server refused the connection (HTTP " + status + (code.isEmpty() ? "" : " " + code) + ")";
        };
    }

    private static String problemCode(Object body) {
        String text = body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                : body instanceof String string ? string : null;
        if (text == null || text.isBlank()) {
            return "";
        }
        try {
            JsonNode problem = AgentJson.JSON.readTree(text);
            return problem == null ? "" : problem.path("code").asText("");
        } catch (Exception e) {
            return "";
        }
    }
}
