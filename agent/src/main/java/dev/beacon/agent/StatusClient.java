package dev.beacon.agent;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks the server whether it still accepts the saved robot token ({@code GET /api/agent/me}). Thread-safe.
 */
public final class StatusClient {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http;

    public StatusClient(HttpClient http) {
        this.http = http;
    }

    /**
     * Asks the config's servers in order until one answers (only an unreachable server moves on to the next), each
     * for at most {@link #REQUEST_TIMEOUT}; never throws for server or network trouble.
     */
    public TokenCheck check(AgentConfig config) throws InterruptedException {
        try {
            return FirstAnswering.ask(ServerEndpoint.allOf(config), server -> check(server, config), (unreachable, failure, next) -> {
            });
        } catch (ServerUnreachableException e) {
            return new TokenCheck.Unknown(e.getMessage());
        }
    }

    private TokenCheck check(ServerEndpoint endpoint, AgentConfig config) throws InterruptedException {
        URI uri = endpoint.resolve("/api/agent/me");
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri)
                    .timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + config.robotToken())
                    .header("Accept", "application/json")
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw ServerUnreachableException.of(uri, e);
        }
        JsonNode body = parse(response.body());
        int status = response.statusCode();
        if (status == 200) {
            return new TokenCheck.Accepted(text(body, "robot_id", text(body, "id", null)), text(body, "name", null),
                    text(body, "status", null), endpoint.base().toString());
        }
        if (status == 401 || status == 403) {
            return new TokenCheck.Refused(status, text(body, "code", status == 401 ? "unauthorized" : "forbidden"),
                    endpoint.base().toString());
        }
        return new TokenCheck.Unknown("the server at " + endpoint.base() + " answered HTTP " + status + " to " + uri.getPath());
    }

    private static String text(JsonNode body, String field, String fallback) {
        JsonNode value = body.path(field);
        return value.isTextual() ? value.textValue() : fallback;
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode node = body == null || body.isBlank() ? null : AgentJson.JSON.readTree(body);
            return node == null ? AgentJson.JSON.createObjectNode() : node;
        } catch (JacksonException e) {
            return AgentJson.JSON.createObjectNode();
        }
    }
}
