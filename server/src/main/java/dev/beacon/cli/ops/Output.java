package dev.beacon.cli.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.beacon.agent.cli.Terminals;
import dev.beacon.dashboard.Fmt;
import java.io.Console;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * How operator commands print: aligned tables, {@code KEY  value} blocks, relative times ("3 min ago") and, on a
 * terminal only, a coloured dot before a status (never with {@code NO_COLOR}, {@code TERM=dumb} or when stdout is
 * not a terminal). Not thread-safe; one per command.
 */
final class Output {
    private static final String RESET = "\u001b[0m";

    private final PrintWriter out;
    private final ServerOptions.Format format;
    private final boolean colour;
    private final Instant now = Instant.now();

    Output(PrintWriter out, ServerOptions.Format format) {
        this.out = out;
        this.format = format;
        this.colour = colourWanted();
    }

    /** True when stdout is an interactive terminal and nothing asks for plain text. */
    static boolean colourWanted() {
        String noColor = System.getenv("NO_COLOR");
        if (noColor != null && !noColor.isEmpty()) {
            return false;
        }
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        Console console = System.console();
        if (console == null) {
            return false;
        }
        return Terminals.isTerminal(console);
    }

    boolean wide() {
        return format == ServerOptions.Format.wide;
    }

    /** The API's object as indented JSON. */
    void json(JsonNode node) {
        try {
            out.println(ApiClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A status as the dashboard shows it: a coloured dot and the word on a terminal, the word alone elsewhere. */
    String status(String status) {
        if (status == null || status.isEmpty()) {
            return "-";
        }
        if (!colour) {
            return status;
        }
        String code = switch (status) {
            case "online", "succeeded", "active", "alive" -> "32"; // green
            case "busy", "running", "assigned" -> "34"; // blue
            case "queued", "paused", "expired", "exhausted" -> "33"; // yellow
            case "failed", "timed_out", "revoked", "dead" -> "31"; // red
            default -> "90"; // grey: offline, cancelled
        };
        return "\u001b[" + code + "m●" + RESET + " " + status;
    }

    /** "3 min ago", "in 23 h", "never" for null, "-" for a missing field. */
    String ago(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "-";
        }
        if (node.isNull()) {
            return "never";
        }
        try {
            return Fmt.relative(Instant.parse(node.asText()), now);
        } catch (DateTimeParseException e) {
            return node.asText();
        }
    }

    /** A field as text: "-" for null or missing, lists joined with ",", objects as k=v,…. */
    static String text(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "-";
        }
        if (node.isArray()) {
            StringJoiner joined = new StringJoiner(",");
            node.forEach(item -> joined.add(item.asText()));
            return joined.length() == 0 ? "-" : joined.toString();
        }
        if (node.isObject()) {
            StringJoiner joined = new StringJoiner(",");
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                joined.add(field.getKey() + "=" + (field.getValue().isValueNode() ? field.getValue().asText() : field.getValue()));
            }
            return joined.length() == 0 ? "-" : joined.toString();
        }
        String text = node.asText();
        return text.isEmpty() ? "-" : text;
    }

    /** An aligned table: a header row, then one row per item; the last column is not padded. */
    void table(List<String> headers, List<List<String>> rows) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < headers.size(); i++) {
            widths[i] = headers.get(i).length();
        }
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], visible(row.get(i)));
            }
        }
        printRow(headers, widths);
        rows.forEach(row -> printRow(row, widths));
    }

    /** A table with no rows says so instead of printing a lone header. */
    void table(List<String> headers, List<List<String>> rows, String emptyMessage) {
        if (rows.isEmpty()) {
            out.println(emptyMessage);
        } else {
            table(headers, rows);
        }
    }

    private void printRow(List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i) == null ? "-" : oneLine(cells.get(i));
            line.append(cell);
            if (i < cells.size() - 1) {
                line.append(" ".repeat(widths[i] - visible(cell) + 2));
            }
        }
        out.println(line.toString().stripTrailing());
    }

    /** {@code Key:  value} lines, aligned. */
    void fields(List<String[]> pairs) {
        int width = pairs.stream().mapToInt(pair -> pair[0].length()).max().orElse(0);
        for (String[] pair : pairs) {
            out.println(pair[0] + ":" + " ".repeat(width - pair[0].length() + 2) + (pair[1] == null ? "-" : pair[1]));
        }
    }

    void line(String text) {
        out.println(text);
    }

    private static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    private static int visible(String text) {
        return text == null ? 1 : oneLine(text).replaceAll("\u001b\\[[0-9;]*m", "").codePointCount(0,
                oneLine(text).replaceAll("\u001b\\[[0-9;]*m", "").length());
    }

    /** Rows builder shorthand. */
    static List<List<String>> rows() {
        return new ArrayList<>();
    }
}
