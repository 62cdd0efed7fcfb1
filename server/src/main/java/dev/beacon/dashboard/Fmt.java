package dev.beacon.dashboard;

import dev.beacon.retention.RetentionSettings;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Formatting for templates. Times render as a {@code <time>} whose text is relative ("3 min ago") and whose
 * {@code datetime} and {@code title} hold the exact UTC time; the page's script keeps the relative text current.
 */
public final class Fmt {
    /** "robot" or "robots" as a word of its own, not inside a name like dock-robot-7 or robot_1. */
    private static final java.util.regex.Pattern ROBOT_WORD = java.util.regex.Pattern.compile("(?<![\\w-])robot(s?)(?![\\w-])");
    private static final DateTimeFormatter EXACT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private Fmt() {
    }

    /** RFC 3339, for {@code datetime} attributes; empty for null. */
    public static String iso(Instant at) {
        return at == null ? "" : at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    /** The exact time, for tooltips. */
    public static String exact(Instant at) {
        return at == null ? "" : EXACT.format(at);
    }

    /** "just now", "4 min ago", "in 23 h", "3 days ago". */
    public static String relative(Instant at, Instant now) {
        if (at == null) {
            return "never";
        }
        long seconds = Duration.between(at, now).toSeconds();
        boolean future = seconds < 0;
        long s = Math.abs(seconds);
        String amount;
        if (s < 10) {
            return "just now";
        } else if (s < 60) {
            amount = s + " s";
        } else if (s < 3600) {
            amount = (s / 60) + " min";
        } else if (s < 86_400) {
            amount = (s / 3600) + " h";
        } else {
            long days = s / 86_400;
            amount = days + (days == 1 ? " day" : " days");
        }
        return future ? "in " + amount : amount + " ago";
    }

    /** A wait in seconds as "0.4 s", "12 s", "3 min 5 s". */
    public static String seconds(double seconds) {
        if (seconds < 10) {
            return String.format(java.util.Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    public static String list(Collection<String> values) {
        return values == null || values.isEmpty() ? "—" : String.join(", ", values);
    }

    public static String labels(Map<String, String> labels) {
        return labels == null || labels.isEmpty() ? "—" : labels.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    public static String orDash(Object value) {
        return value == null || value.toString().isBlank() ? "—" : value.toString();
    }

    /** A status as a word people read: "timed_out" → "timed out". */
    public static String words(String status) {
        return status == null ? "" : status.replace('_', ' ');
    }

    /**
     * The note under a list the retention pruner thins out: "Older entries expire after 30 days." for a retention of
     * 30 days, or null when entries are kept for ever ({@link Duration#ZERO}).
     */
    public static String expiry(Duration kept) {
        String words = RetentionSettings.inWords(kept);
        return words == null ? null : "Older entries expire after " + words + ".";
    }

    /** Capitalized: "online" → "Online". */
    public static String title(String word) {
        return word == null || word.isEmpty() ? "" : Character.toUpperCase(word.charAt(0)) + word.substring(1).replace('_', ' ');
    }

    /** The time from {@code from} to {@code to} (or to {@code now} while {@code to} is null) as "0.4 s", "3 min 5 s"; null without {@code from}. */
    public static String span(Instant from, Instant to, Instant now) {
        if (from == null) {
            return null;
        }
        long millis = Math.max(0, Duration.between(from, to != null ? to : now).toMillis());
        return seconds(millis / 1000.0);
    }

    /**
     * Text whose {@code `code`} spans (as the API's explanations write them) become {@code <code>} elements, everything
     * HTML-escaped: for {@code $unsafe{}} in templates. An unpaired backquote stays as it is.
     */
    public static String withCode(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder html = new StringBuilder();
        String[] parts = text.split("`", -1);
        for (int i = 0; i < parts.length; i++) {
            boolean code = i % 2 == 1 && i < parts.length - 1;
            if (i % 2 == 1 && !code) {
                html.append('`');
            }
            html.append(code ? "<code>" : "").append(escape(parts[i])).append(code ? "</code>" : "");
        }
        return html.toString();
    }

    /**
     * An explanation from the API ({@code waiting_reason}) as the dashboard words it: "robot" becomes "machine" (a name
     * such as dock-robot-7 stays as it is), code spans become {@code <code>}. For {@code $unsafe{}}.
     */
    public static String reason(String text) {
        return withCode(machineWords(text));
    }

    /** A message from a service as the dashboard words it: "robot" becomes "machine", names such as dock-robot-7 stay. */
    public static String machineWords(String text) {
        return text == null ? null : ROBOT_WORD.matcher(text).replaceAll("machine$1");
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&#34;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
