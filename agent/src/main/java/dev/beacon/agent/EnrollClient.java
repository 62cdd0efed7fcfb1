package dev.beacon.agent;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Trades an enrollment key for a robot token with {@code POST /api/enroll}, turning every refusal into one line
 * that says what to do. Thread-safe: it holds only the endpoint and a thread-safe HTTP client.
 */
public final class EnrollClient {
    private static final Logger LOG = LoggerFactory.getLogger(EnrollClient.class);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ServerEndpoint endpoint;
    private final HttpClient http;

    /** A client for {@code endpoint} with its own HTTP client (trusting only the endpoint's CA when it has one). */
    public EnrollClient(ServerEndpoint endpoint) {
        this(endpoint, endpoint.httpClient());
    }

    public EnrollClient(ServerEndpoint endpoint, HttpClient http) {
        this.endpoint = endpoint;
        this.http = http;
    }

    /**
     * Checks the key's prefix, length and checksum on this machine, so a truncated or mistyped key is rejected
     * before it is ever sent. Throws {@link EnrollmentRefusedException} with code {@code enrollment_key_malformed}.
     */
    public static void checkKey(String enrollmentKey) {
        if (TokenFormat.parse(TokenKind.ENROLLMENT, enrollmentKey) instanceof TokenFormat.Parsed.Malformed malformed) {
            throw new EnrollmentRefusedException("enrollment_key_malformed", 0, "The enrollment key is not valid: "
                    + malformed.reason() + " — copy the full key (it was not sent to the server).");
        }
    }

    /**
     * Enrolls this machine; blocks for at most {@link #REQUEST_TIMEOUT}. Throws {@link EnrollmentRefusedException}
     * when the key or name is refused and {@link ServerUnreachableException} when the server cannot be reached.
     */
    public Enrollment enroll(EnrollRequest request) throws InterruptedException {
        checkKey(request.enrollmentKey());
        EnrollRequest sent = new EnrollRequest(request.enrollmentKey().strip(), request.name(), request.hostname(),
                request.os(), request.arch(), request.agentVersion(), request.capabilities(), request.labels(),
                request.replace());
        URI uri = endpoint.resolve("/api/enroll");
        HttpResponse<String> response;
        try {
            HttpRequest httpRequest = HttpRequest.newBuilder(uri)
                    .timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, application/problem+json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(AgentJson.JSON.writeValueAsBytes(sent)))
                    .build();
            LOG.debug("enrolling {} at {} with key {}", request.name(), uri, TokenFormat.mask(request.enrollmentKey()));
            response = http.send(httpRequest, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw ServerUnreachableException.of(uri, e);
        }
        if (response.statusCode() == 201 || response.statusCode() == 200) {
            return parseEnrollment(response);
        }
        throw refusal(response, request.name());
    }

    private Enrollment parseEnrollment(HttpResponse<String> response) {
        try {
            Enrollment enrollment = AgentJson.JSON.readValue(response.body(), Enrollment.class);
            if (enrollment.robotId() == null || enrollment.robotToken() == null) {
                throw new AgentException("The server at " + endpoint.base() + " accepted the key but sent no robot_id or robot_token — is it a Beacon server?");
            }
            return enrollment;
        } catch (JacksonException e) {
            throw new AgentException("The server at " + endpoint.base() + " answered HTTP " + response.statusCode()
                    + " with a body that is not enrollment JSON — is --server pointing at Beacon?");
        }
    }

    private AgentException refusal(HttpResponse<String> response, String name) {
        int status = response.statusCode();
        JsonNode problem = parseProblem(response.body());
        String code = problem.path("code").asText("");
        String detail = problem.path("detail").asText("").strip().replaceAll("\\s+", " ");
        String line = switch (code) {
            case "enrollment_key_malformed" -> "The server says the enrollment key looks truncated or mistyped — copy the full key.";
            case "enrollment_key_unknown" -> "The server at " + endpoint.base() + " does not know this enrollment key — check it was created there and copied in full.";
            case "enrollment_key_revoked" -> "This enrollment key was revoked — create a new one in API Management.";
            case "enrollment_key_expired" -> "This enrollment key has expired — create a new one in API Management.";
            case "enrollment_key_exhausted" -> "This enrollment key is used up (all its uses are spent) — create a new one, or one with more uses.";
            case "robot_name_taken" -> "The name \"" + name + "\" is taken by another robot in this organization — choose another with --name, or pass --replace to take over that robot if it is offline.";
            case "rate_limited" -> "Too many enrollment attempts from this machine — try again " + retryAfter(response) + ".";
            case "validation_failed" -> "The server refused the enrollment request: " + orStatus(detail, status) + ".";
            case "forbidden" -> "The server does not allow this enrollment: " + orStatus(detail, status) + ".";
            case "" -> withoutCode(status, response);
            default -> "Enrollment refused (" + code + "): " + orStatus(detail, status) + ".";
        };
        return new EnrollmentRefusedException(code.isEmpty() ? "http_" + status : code, status, line);
    }

    private String withoutCode(int status, HttpResponse<String> response) {
        if (status == 429) {
            return "Too many enrollment attempts from this machine — try again " + retryAfter(response) + ".";
        }
        if (status == 404) {
            return "There is no Beacon enrollment endpoint at " + endpoint.resolve("/api/enroll") + " (HTTP 404) — check the --server URL.";
        }
        if (status >= 500) {
            return "The server at " + endpoint.base() + " failed with HTTP " + status + " — try again later, or check the server's logs.";
        }
        return "The server at " + endpoint.base() + " answered HTTP " + status + " — is --server pointing at Beacon?";
    }

    private static String retryAfter(HttpResponse<String> response) {
        return response.headers().firstValue("Retry-After")
                .filter(value -> value.strip().matches("\\d+"))
                .map(value -> "in " + value.strip() + " s")
                .orElse("in a minute");
    }

    private static String orStatus(String detail, int status) {
        String withoutStop = detail.endsWith(".") ? detail.substring(0, detail.length() - 1) : detail;
        return withoutStop.isEmpty() ? "HTTP " + status : withoutStop;
    }

    private static JsonNode parseProblem(String body) {
        try {
            JsonNode node = body == null || body.isBlank() ? null : AgentJson.JSON.readTree(body);
            return node == null ? AgentJson.JSON.createObjectNode() : node;
        } catch (JacksonException e) {
            return AgentJson.JSON.createObjectNode(); // an HTML error page from a proxy, say
        }
    }
}
