package dev.beacon.jobs;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.web.ApiError;
import dev.beacon.web.BodyLimit;
import dev.beacon.web.JsonInput;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A validated {@code POST /api/jobs} body. Every wrong type or value is a 400 {@code validation_failed} naming
 * the field ({@code target.fleet_id}, …). Immutable.
 */
public record JobRequest(String kind, JsonNode payload, Target target, int priority, int timeoutS, int maxAttempts) {
    static final int DEFAULT_TIMEOUT_S = 300;
    static final int MAX_TIMEOUT_S = 86_400;
    static final int DEFAULT_MAX_ATTEMPTS = 3;
    static final int MAX_ATTEMPTS = 10;
    /** Kinds name agent handlers (TOML keys): short, no spaces or punctuation that needs quoting. */
    private static final Pattern KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Reads and validates the request body; one nested over {@link JsonInput#MAX_DEPTH} levels is a 400 {@code json_too_deep}. */
    public static JobRequest parse(InputStream body, ObjectMapper json) {
        JsonNode root;
        try (InputStream in = body) {
            byte[] bytes = in.readNBytes(BodyLimit.MAX_BODY_BYTES + 1);
            if (bytes.length > BodyLimit.MAX_BODY_BYTES) {
                throw new ApiError(413, "payload_too_large", "The request body is over the limit of " + BodyLimit.MAX_BODY_BYTES + " bytes.");
            }
            root = bytes.length == 0 ? json.createObjectNode() : JsonInput.readTree(json, bytes);
        } catch (JacksonException e) {
            throw ApiError.validation(null, "The request body is not valid JSON. Send a JSON object.");
        } catch (IOException e) {
            throw ApiError.validation(null, "The request body could not be read.");
        }
        if (root == null || !root.isObject()) {
            throw ApiError.validation(null, "The request body must be a JSON object.");
        }
        JsonNode kindNode = root.get("kind");
        if (kindNode == null || kindNode.isNull()) {
            throw ApiError.validation("kind", "Field 'kind' is required (the job kind an agent advertises, e.g. \"echo\").");
        }
        if (!kindNode.isTextual() || !KIND.matcher(kindNode.asText()).matches()) {
            throw ApiError.validation("kind", "Field 'kind' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        JsonNode payload = root.get("payload");
        if (payload == null || payload.isNull()) {
            payload = json.createObjectNode();
        }
        JsonNode targetNode = root.get("target");
        if (targetNode != null && !targetNode.isNull() && !targetNode.isObject()) {
            throw ApiError.validation("target", "Field 'target' must be an object like {\"fleet_id\": \"…\", \"capabilities\": [], \"labels\": {}}.");
        }
        Target target = targetNode == null || targetNode.isNull()
                ? new Target(null, null, null, List.of(), Map.of())
                : new Target(id(targetNode, "robot_id"), id(targetNode, "fleet_id"), id(targetNode, "site_id"),
                        capabilities(targetNode.get("capabilities")), labels(targetNode.get("labels")));
        return new JobRequest(kindNode.asText(), payload, target,
                integer(root, "priority", -1_000_000, 1_000_000, 0),
                integer(root, "timeout_s", 1, MAX_TIMEOUT_S, DEFAULT_TIMEOUT_S),
                integer(root, "max_attempts", 1, MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS));
    }

    private static String id(JsonNode target, String field) {
        JsonNode value = target.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank() || value.asText().length() > 100) {
            throw ApiError.validation("target." + field, "Field 'target." + field + "' must be an id string.");
        }
        return value.asText().strip();
    }

    private static List<String> capabilities(JsonNode value) {
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray() || value.size() > 50) {
            throw ApiError.validation("target.capabilities", "Field 'target.capabilities' must be a list of at most 50 job kinds.");
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || !KIND.matcher(item.asText()).matches()) {
                throw ApiError.validation("target.capabilities", "Field 'target.capabilities' must hold capability names like \"backup\".");
            }
            items.add(item.asText());
        }
        return items;
    }

    private static Map<String, String> labels(JsonNode value) {
        if (value == null || value.isNull()) {
            return Map.of();
        }
        if (!value.isObject() || value.size() > 50) {
            throw ApiError.validation("target.labels", "Field 'target.labels' must be an object of at most 50 string values.");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            if (entry.getKey().isBlank() || entry.getKey().length() > 100 || !entry.getValue().isTextual()
                    || entry.getValue().asText().length() > 200) {
                throw ApiError.validation("target.labels", "Field 'target.labels' must map label names to strings.");
            }
            labels.put(entry.getKey(), entry.getValue().asText());
        }
        return labels;
    }

    private static int integer(JsonNode root, String field, int min, int max, int fallback) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
            throw ApiError.validation(field, "Field '" + field + "' must be a whole number from " + min + " to " + max + ".");
        }
        return value.intValue();
    }
}
