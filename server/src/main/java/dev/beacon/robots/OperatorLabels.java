package dev.beacon.robots;

import dev.beacon.errors.Invalid;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The labels an operator sets on a machine, checked: at most {@value #MAX_LABELS}; each key 1–{@value #MAX_KEY}
 * characters of ASCII letters, digits, {@code . _ - /}, starting and ending with a letter or digit (so a key reads
 * the same in a URL, a shell and {@code --target label=K=V}); each value 1–{@value #MAX_VALUE} characters without
 * control characters. A value that breaks a rule is refused with {@code validation_failed} on the field
 * {@code labels}, naming the label. Keys are kept sorted. Immutable.
 */
public record OperatorLabels(Map<String, String> values) {
    public static final int MAX_LABELS = 50;
    public static final int MAX_KEY = 63;
    public static final int MAX_VALUE = 200;
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?");

    public static final OperatorLabels NONE = new OperatorLabels(Map.of());

    public OperatorLabels {
        if (values.size() > MAX_LABELS) {
            throw Invalid.field("labels", "A machine takes at most " + MAX_LABELS + " operator labels; " + values.size()
                    + " were given. Remove some first.");
        }
        for (Map.Entry<String, String> label : values.entrySet()) {
            checkKey(label.getKey());
            checkValue(label.getKey(), label.getValue());
        }
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** Refuses a key that breaks the rules above. */
    static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY || !KEY.matcher(key).matches()) {
            throw Invalid.field("labels", "Label key '" + shown(key) + "' is not allowed: use 1–" + MAX_KEY
                    + " letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit (e.g. zone, rack.row).");
        }
    }

    private static void checkValue(String key, String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_VALUE || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw Invalid.field("labels", "The value of label '" + key + "' must be 1–" + MAX_VALUE
                    + " characters without control characters.");
        }
    }

    /** These labels with {@code key} set to {@code value} (added, or replacing its value). */
    public OperatorLabels with(String key, String value) {
        Map<String, String> changed = new TreeMap<>(values);
        changed.put(key, value);
        return new OperatorLabels(changed);
    }

    /** These labels without {@code key} (unchanged when it is not set). */
    public OperatorLabels without(String key) {
        Map<String, String> changed = new TreeMap<>(values);
        changed.remove(key);
        return new OperatorLabels(changed);
    }

    /** "zone=a, rack=7", or "none". */
    public String describe() {
        if (values.isEmpty()) {
            return "none";
        }
        StringBuilder text = new StringBuilder();
        values.forEach((key, value) -> text.append(text.isEmpty() ? "" : ", ").append(key).append('=').append(value));
        return text.toString();
    }

    /** A key as an error message may quote it: at most 70 characters, control characters replaced. */
    private static String shown(String key) {
        if (key == null) {
            return "";
        }
        String printable = key.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return printable.length() > 70 ? printable.substring(0, 70) + "…" : printable;
    }
}
