package dev.beacon.agentchannel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.robots.PresenceStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and checks an agent's {@code hello} frame. Stateless. */
final class HelloFrame {
    static final String RULES = "hello takes optional strings hostname, os, arch, agent_version (at most 255 characters), "
            + "capabilities as a list of at most 100 short strings, labels as an object of at most 50 string values, "
            + "and purpose, which is absent or 'rotate-token'.";
    /** The {@code purpose} of a hello that only rotates the token: no presence, no jobs, no replacing the agent's session. */
    static final String ROTATE_TOKEN = "rotate-token";

    private HelloFrame() {
    }

    /** Thrown by the field readers when a field breaks {@link #RULES}. */
    private static final class Invalid extends Exception {
        Invalid() {
            super(null, null, false, false);
        }
    }

    /** Whether the hello asks for a rotate-only connection; null when {@code purpose} is neither absent nor {@value #ROTATE_TOKEN}. */
    static Boolean rotateOnly(JsonNode frame) {
        JsonNode purpose = frame.get("purpose");
        if (purpose == null || purpose.isNull()) {
            return false;
        }
        return purpose.isTextual() && purpose.asText().equals(ROTATE_TOKEN) ? Boolean.TRUE : null;
    }

    /** The facts of a well-formed hello, or null. */
    static PresenceStore.Hello parse(JsonNode frame) {
        try {
            return new PresenceStore.Hello(text(frame, "hostname"), text(frame, "os"), text(frame, "arch"),
                    text(frame, "agent_version"), capabilities(frame), labels(frame));
        } catch (Invalid e) {
            return null;
        }
    }

    private static List<String> capabilities(JsonNode frame) throws Invalid {
        List<String> capabilities = new ArrayList<>();
        JsonNode caps = frame.get("capabilities");
        if (caps != null && !caps.isNull()) {
            if (!caps.isArray() || caps.size() > 100) {
                throw new Invalid();
            }
            for (JsonNode cap : caps) {
                if (!cap.isTextual() || cap.asText().isBlank() || cap.asText().length() > 100) {
                    throw new Invalid();
                }
                capabilities.add(cap.asText());
            }
        }
        return List.copyOf(capabilities);
    }

    private static Map<String, String> labels(JsonNode frame) throws Invalid {
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode labelNode = frame.get("labels");
        if (labelNode != null && !labelNode.isNull()) {
            if (!labelNode.isObject() || labelNode.size() > 50) {
                throw new Invalid();
            }
            for (Map.Entry<String, JsonNode> entry : labelNode.properties()) {
                if (!entry.getValue().isTextual() || entry.getKey().length() > 200 || entry.getValue().asText().length() > 200) {
                    throw new Invalid();
                }
                labels.put(entry.getKey(), entry.getValue().asText());
            }
        }
        return labels;
    }

    private static String text(JsonNode frame, String field) throws Invalid {
        JsonNode value = frame.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.asText().length() > 255 || value.asText().chars().anyMatch(c -> c < 0x20)) {
            throw new Invalid();
        }
        return value.asText();
    }
}
