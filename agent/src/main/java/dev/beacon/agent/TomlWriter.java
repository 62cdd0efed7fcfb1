package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes a JSON tree as TOML with {@code [table]} headers, the way people write agent.toml by hand.
 * Jackson's own TOML writer emits dotted keys ({@code handlers.backup.command = …}), which is valid but hard to
 * edit; this keeps the file readable. Stateless and thread-safe.
 */
final class TomlWriter {
    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private TomlWriter() {
    }

    /** The TOML text for {@code root}, starting with {@code header} lines as comments. */
    static String write(ObjectNode root, List<String> header) {
        StringBuilder out = new StringBuilder();
        header.forEach(line -> out.append("# ").append(line).append('\n'));
        writeTable(out, List.of(), root);
        return out.toString();
    }

    private static void writeTable(StringBuilder out, List<String> path, ObjectNode table) {
        // TOML requires a table's plain keys before any sub-table header, so scalars and arrays go first.
        List<Map.Entry<String, JsonNode>> subTables = new ArrayList<>();
        boolean headerWritten = path.isEmpty();
        for (Map.Entry<String, JsonNode> entry : table.properties()) {
            JsonNode value = entry.getValue();
            if (value.isNull() || value.isMissingNode()) {
                continue;
            }
            if (value.isObject()) {
                subTables.add(entry);
                continue;
            }
            if (!headerWritten) {
                writeHeader(out, path);
                headerWritten = true;
            }
            out.append(key(entry.getKey())).append(" = ").append(inlineValue(value)).append('\n');
        }
        if (!headerWritten && subTables.isEmpty()) {
            writeHeader(out, path); // an empty table still has to exist, e.g. [labels]
        }
        for (Map.Entry<String, JsonNode> sub : subTables) {
            List<String> subPath = new ArrayList<>(path);
            subPath.add(sub.getKey());
            writeTable(out, subPath, (ObjectNode) sub.getValue());
        }
    }

    private static void writeHeader(StringBuilder out, List<String> path) {
        out.append('\n').append('[');
        for (int i = 0; i < path.size(); i++) {
            out.append(i == 0 ? "" : ".").append(key(path.get(i)));
        }
        out.append("]\n");
    }

    private static String inlineValue(JsonNode value) {
        if (value.isTextual()) {
            return quoted(value.textValue());
        }
        if (value.isBoolean() || value.isIntegralNumber()) {
            return value.asText();
        }
        if (value.isNumber()) {
            double number = value.doubleValue();
            if (Double.isNaN(number)) {
                return "nan";
            }
            if (Double.isInfinite(number)) {
                return number > 0 ? "inf" : "-inf";
            }
            return Double.toString(number); // always has a '.' or an exponent, so TOML reads it back as a float
        }
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(inlineValue(item)));
            return "[" + String.join(", ", items) + "]";
        }
        if (value.isObject()) {
            List<String> pairs = new ArrayList<>();
            value.properties().forEach(entry -> {
                if (!entry.getValue().isNull()) {
                    pairs.add(key(entry.getKey()) + " = " + inlineValue(entry.getValue()));
                }
            });
            return "{ " + String.join(", ", pairs) + " }";
        }
        return quoted(value.asText());
    }

    private static String key(String key) {
        return BARE_KEY.matcher(key).matches() ? key : quoted(key);
    }

    private static String quoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
