package dev.beacon.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.ServerEndpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/**
 * The operator CLI's view of one server's HTTP API: sends a request with the API key and returns the JSON answer,
 * or throws {@link OpsException} with the problem's {@code detail} and {@code code} and the exit code it maps to
 * (401 and 403 → 4, 404 → 3, anything else → 1). Never touches a database. Thread-safe.
 */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String apiKey;
    private final HttpClient http;

    ApiClient(String server, String apiKey, String caCert) {
        try {
            ServerEndpoint endpoint = ServerEndpoint.of(server, caCert);
            this.base = endpoint.base();
            this.http = endpoint.httpClient();
        } catch (AgentException e) {
            throw OpsException.usage(stripDot(e.getMessage()));
        }
        this.apiKey = apiKey;
    }

    /** The server's base URL without a trailing slash. */
    String baseUrl() {
        return base.toString();
    }

    JsonNode get(String path) {
        return send("GET", path, null, Map.of()).body();
    }

    JsonNode post(String path, JsonNode body) {
        return send("POST", path, body, Map.of()).body();
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null, Map.of()).body();
    }

    /** An answer: its status and JSON body ({@link NullNode} when it has none). */
    record Answer(int status, JsonNode body) {
    }

    /** Sends one request; a non-2xx answer becomes an {@link OpsException}. */
    Answer send(String method, String path, JsonNode body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        if (apiKey != null) {
            request.header("X-Beacon-API-Key", apiKey);
        }
        headers.forEach(request::header);
        if (body != null) {
            request.header("Content-Type", "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            request.method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("")
                    : HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = exchange(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        JsonNode json = parse(response.body());
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return new Answer(status, json);
        }
        throw problem(status, json, method + " " + path);
    }

    /**
     * A GET whose answer is read as it arrives, line by line ({@code accept} names its type, e.g. JSON Lines), instead of
     * whole; a non-2xx answer becomes an {@link OpsException}, as does an answer that breaks off. The timeout bounds the
     * wait for the answer to begin, not how long it takes.
     */
    void getLines(String path, String accept, Consumer<String> sink) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT).header("Accept", accept).GET();
        if (apiKey != null) {
            request.header("X-Beacon-API-Key", apiKey);
        }
        HttpResponse<InputStream> response = exchange(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status < 200 || status >= 300) {
                throw problem(status, parse(new String(body.readAllBytes(), StandardCharsets.UTF_8)), "GET " + path);
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                sink.accept(line);
            }
        } catch (IOException e) {
            String reason = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
            throw new OpsException("the answer to GET " + path + " broke off: " + reason, "stream_broken", OpsException.REFUSED);
        }
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpsException("interrupted", "interrupted", 130);
        } catch (SSLException e) {
            throw new OpsException("TLS with " + base + " failed: " + e.getMessage()
                    + " — pass --ca-cert PEM when the server uses a private CA", "tls_failed", OpsException.REFUSED);
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw unreachable(e);
        } catch (HttpTimeoutException e) {
            throw new OpsException("the server at " + base + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s",
                    "server_timeout", OpsException.REFUSED);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    private OpsException unreachable(IOException e) {
        String reason = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
        return new OpsException("cannot reach the server at " + base + ": " + reason, "server_unreachable", OpsException.REFUSED);
    }

    private static OpsException problem(int status, JsonNode json, String request) {
        String code = json.path("code").asText("");
        String detail = json.path("detail").asText("");
        if (code.isEmpty()) {
            code = "http_" + status;
        }
        if (detail.isEmpty()) {
            detail = request + " answered HTTP " + status + " without a problem detail";
        }
        detail = stripDot(detail);
        if (json.hasNonNull("field")) {
            detail = detail + " [field " + json.get("field").asText() + "]";
        }
        int exit = switch (status) {
            case 401, 403 -> OpsException.AUTH;
            case 404 -> OpsException.NOT_FOUND;
            default -> OpsException.REFUSED;
        };
        return new OpsException(detail, code, exit);
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return NullNode.getInstance();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return NullNode.getInstance();
        }
    }

    /** {@code path?k=v&…} with the non-null parameters, URL-encoded. */
    static String query(String path, Map<String, String> params) {
        Map<String, String> set = new LinkedHashMap<>();
        params.forEach((key, value) -> {
            if (value != null && !value.isBlank()) {
                set.put(key, value);
            }
        });
        if (set.isEmpty()) {
            return path;
        }
        return path + "?" + set.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** An id as one path segment: ids never hold '/', but a typo must not reach another route. */
    static String segment(String id) {
        return URLEncoder.encode(id.strip(), StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String stripDot(String text) {
        String stripped = text.strip();
        return stripped.endsWith(".") ? stripped.substring(0, stripped.length() - 1) : stripped;
    }
}
