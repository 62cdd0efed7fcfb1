package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Why one WebSocket session ended, and so whether the agent reconnects or exits. Immutable. */
sealed interface SessionEnd {
    /** A drop worth retrying after a backoff; {@code reason} is one line for the log. */
    record Reconnect(String reason) implements SessionEnd {
    }

    /** Retrying cannot help: the agent stops with {@code exitCode} and says {@code message}. */
    record Exit(int exitCode, String message) implements SessionEnd {
    }

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
            int status = handshake.getResponse().statusCode();
            if (status == 401 || status == 403) {
                String code = problemCode(handshake.getResponse().body());
                String what = switch (code) {
                    case "robot_removed" -> "This robot was removed from its organization";
                    case "robot_token_revoked" -> "The server revoked this robot's token";
                    default -> "The server refused this robot's token (HTTP " + status + (code.isEmpty() ? "" : " " + code)
                            + "); it was revoked, rotated, or the robot removed";
                };
                return new Exit(TokenRefusedException.EXIT_CODE, what + " — to re-enroll, delete " + configPath
                        + " and run `beacon agent enroll`.");
            }
            return new Reconnect("the server answered HTTP " + status + " to the WebSocket upgrade at " + uri);
        }
        return new Reconnect(ServerUnreachableException.of(uri, cause).getMessage());
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
