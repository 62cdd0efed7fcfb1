package dev.beacon.web;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request's JSON object with typed, validating accessors: every wrong type, missing field or bad
 * value becomes a 400 {@code validation_failed} naming the field. Not thread-safe; one per request.
 */
public final class JsonBody {
    private final ObjectNode node;

    private JsonBody(ObjectNode node) {
        this.node = node;
    }

    /**
     * Reads the request body (at most {@link BodyLimit#MAX_BODY_BYTES}, nested at most {@link JsonInput#MAX_DEPTH} levels)
     * as a JSON object; an empty body is {@code {}}.
     */
    public static JsonBody of(Context ctx, ObjectMapper json) {
        byte[] bytes = readCapped(ctx);
        if (bytes.length == 0 || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return new JsonBody(json.createObjectNode());
        }
        JsonNode parsed;
        try {
            parsed = JsonInput.readTree(json, bytes);
        } catch (JacksonException e) {
            throw ApiError.validation(null, "The request body is not valid JSON"
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : "")
                    + ". Send a JSON object.");
        } catch (IOException e) {
            throw ApiError.validation(null, "The request body could not be read.");
        }
        if (parsed == null || !parsed.isObject()) {
            throw ApiError.validation(null, "The request body must be a JSON object.");
        }
        return new JsonBody((ObjectNode) parsed);
    }

    private static byte[] readCapped(Context ctx) {
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] bytes = in.readNBytes(BodyLimit.MAX_BODY_BYTES + 1);
            if (bytes.length > BodyLimit.MAX_BODY_BYTES) {
                throw new ApiError(413, "payload_too_large", "The request body is over the limit of " + BodyLimit.MAX_BODY_BYTES + " bytes.");
            }
            return bytes;
        } catch (IOException e) {
            throw ApiError.validation(null, "The request body could not be read.");
        }
    }

    private JsonNode present(String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value;
    }

    /** Whether the body has {@code field}, with any value but null. */
    public boolean has(String field) {
        return present(field) != null;
    }

    /** A required non-blank string of at most {@code maxLength} characters, stripped. */
    public String requiredString(String field, int maxLength) {
        String value = optionalString(field, maxLength);
        if (value == null) {
            throw ApiError.validation(field, "Field '" + field + "' is required.");
        }
        return value;
    }

    /** An optional string (null when absent), stripped; blank counts as absent. */
    public String optionalString(String field, int maxLength) {
        JsonNode value = present(field);
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiError.validation(field, "Field '" + field + "' must be a string.");
        }
        String text = value.asText().strip();
        if (text.isEmpty()) {
            return null;
        }
        if (text.length() > maxLength) {
            throw ApiError.validation(field, "Field '" + field + "' is longer than " + maxLength + " characters.");
        }
        if (text.chars().anyMatch(c -> c < 0x20)) {
            throw ApiError.validation(field, "Field '" + field + "' contains control characters.");
        }
        return text;
    }

    /** An optional whole number in [min, max], or {@code fallback} when absent. */
    public int optionalInt(String field, int min, int max, int fallback) {
        JsonNode value = present(field);
        if (value == null) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw ApiError.validation(field, "Field '" + field + "' must be a whole number between " + min + " and " + max + ".");
        }
        int number = value.intValue();
        if (number < min || number > max) {
            throw ApiError.validation(field, "Field '" + field + "' must be between " + min + " and " + max + "; got " + number + ".");
        }
        return number;
    }

    /** An optional boolean, or {@code fallback} when absent. */
    public boolean optionalBoolean(String field, boolean fallback) {
        JsonNode value = present(field);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw ApiError.validation(field, "Field '" + field + "' must be true or false.");
        }
        return value.booleanValue();
    }

    /** An optional list of short strings (empty when absent). */
    public List<String> optionalStringList(String field, int maxItems, int maxLength) {
        JsonNode value = present(field);
        if (value == null) {
            return List.of();
        }
        if (!value.isArray()) {
            throw ApiError.validation(field, "Field '" + field + "' must be a list of strings.");
        }
        if (value.size() > maxItems) {
            throw ApiError.validation(field, "Field '" + field + "' has more than " + maxItems + " items.");
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().isBlank() || item.asText().length() > maxLength) {
                throw ApiError.validation(field, "Field '" + field + "' must hold non-empty strings of at most " + maxLength + " characters.");
            }
            items.add(item.asText().strip());
        }
        return List.copyOf(items);
    }

    /** An optional object of string values (empty when absent). */
    public Map<String, String> optionalStringMap(String field, int maxEntries, int maxLength) {
        JsonNode value = present(field);
        if (value == null) {
            return Map.of();
        }
        if (!value.isObject()) {
            throw ApiError.validation(field, "Field '" + field + "' must be an object of strings.");
        }
        if (value.size() > maxEntries) {
            throw ApiError.validation(field, "Field '" + field + "' has more than " + maxEntries + " entries.");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            JsonNode item = entry.getValue();
            if (entry.getKey().isBlank() || entry.getKey().length() > maxLength || !item.isTextual() || item.asText().length() > maxLength) {
                throw ApiError.validation(field, "Field '" + field + "' must map non-empty keys to strings of at most " + maxLength + " characters.");
            }
            map.put(entry.getKey(), item.asText());
        }
        return Map.copyOf(map);
    }
}
