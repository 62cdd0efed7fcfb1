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
}
