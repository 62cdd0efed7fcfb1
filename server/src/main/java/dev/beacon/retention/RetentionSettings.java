package dev.beacon.retention;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long the server keeps each kind of history before the {@link Pruner} deletes it; {@link Duration#ZERO} keeps it
 * for ever. Immutable.
 *
 * @param jobs            finished jobs, counted from {@code finished_at}; queued, assigned and running jobs are never pruned
 * @param jobOutput       the {@code output} of finished jobs, cleared while the row stays (until {@code jobs} deletes it)
 * @param audit           audit events, from {@code created_at}
 * @param connections     closed robot connections, from {@code disconnected_at}
 * @param robotTokens     robot tokens, from when they were revoked or their unacknowledged rotation expired
 * @param enrollmentKeys  enrollment keys, from when they were revoked or expired; a key some robot enrolled with is kept,
 *                        since the robot still names it
 */
public record RetentionSettings(Duration jobs, Duration jobOutput, Duration audit, Duration connections, Duration robotTokens,
                                Duration enrollmentKeys) {
    /**
     * The shortest retention allowed: anything less could delete a job's result before a client polling it, or an
     * operator's export, has read it.
     */
    public static final Duration MINIMUM = Duration.ofMinutes(10);
    /** How often the {@link Pruner} runs at most and at least: a tenth of the shortest retention, within these bounds. */
    static final Duration MOST_OFTEN = Duration.ofMinutes(1);
    static final Duration LEAST_OFTEN = Duration.ofHours(1);
    private static final Pattern TEXT = Pattern.compile("(\\d{1,6})([dhm])");

    public RetentionSettings {
        check("jobs", jobs);
        check("jobOutput", jobOutput);
        check("audit", audit);
        check("connections", connections);
        check("robotTokens", robotTokens);
        check("enrollmentKeys", enrollmentKeys);
    }

    private static void check(String name, Duration kept) {
        if (kept == null || kept.isNegative() || (!kept.isZero() && kept.compareTo(MINIMUM) < 0)) {
            throw new IllegalArgumentException(name + " must be 0 (keep for ever) or at least 10m, not " + kept);
        }
    }

    /** The defaults of {@code beacon server}: jobs 30 days, job output 7, audit 365, connections 30, tokens and keys 90. */
    public static RetentionSettings defaults() {
        return new RetentionSettings(Duration.ofDays(30), Duration.ofDays(7), Duration.ofDays(365), Duration.ofDays(30),
                Duration.ofDays(90), Duration.ofDays(90));
    }

    /** Settings that keep everything for ever: nothing is pruned. */
    public static RetentionSettings forever() {
        return new RetentionSettings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }

    /**
     * A duration as {@code --retain-…} takes it: a number of days ({@code 30d}), hours ({@code 12h}) or minutes
     * ({@code 30m}, at least {@link #MINIMUM}), or {@code 0} for for ever. Throws {@link IllegalArgumentException} saying what is accepted.
     */
    public static Duration parse(String text) {
        String trimmed = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = TEXT.matcher(trimmed);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a retention: give days (30d), hours (12h), minutes (30m), or 0 to keep for ever");
        }
        long amount = Long.parseLong(matcher.group(1));
        Duration kept = switch (matcher.group(2)) {
            case "d" -> Duration.ofDays(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofMinutes(amount);
        };
        if (!kept.isZero() && kept.compareTo(MINIMUM) < 0) {
            throw new IllegalArgumentException("'" + text + "' is shorter than 10m: give 10m or more, or 0 to keep for ever");
        }
        return kept;
    }

    /** {@code 30d}, {@code 12h}, {@code 90m}, or {@code for ever}: how a retention reads in the log. */
    public static String describe(Duration kept) {
        if (kept.isZero()) {
            return "for ever";
        }
        if (kept.toMinutes() % 60 != 0) {
            return kept.toMinutes() + "m";
        }
        return kept.toHours() % 24 == 0 ? kept.toDays() + "d" : kept.toHours() + "h";
    }

    /** In words, for the dashboard: "30 days", "12 hours", "90 minutes"; null when kept for ever. */
    public static String inWords(Duration kept) {
        if (kept.isZero()) {
            return null;
        }
        String text = describe(kept);
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        String unit = switch (text.charAt(text.length() - 1)) {
            case 'd' -> "day";
            case 'h' -> "hour";
            default -> "minute";
        };
        return amount + " " + unit + (amount == 1 ? "" : "s");
    }

    /**
     * How often the {@link Pruner} runs: a tenth of the shortest retention in force, so that no kind outgrows its
     * retention by more than a tenth between runs, but at most once a minute and at least once an hour.
     */
    public Duration pruneEvery() {
        Duration every = LEAST_OFTEN;
        for (Duration kept : new Duration[] {jobs, jobOutput, audit, connections, robotTokens, enrollmentKeys}) {
            if (!kept.isZero() && kept.dividedBy(10).compareTo(every) < 0) {
                every = kept.dividedBy(10);
            }
        }
        return every.compareTo(MOST_OFTEN) < 0 ? MOST_OFTEN : every;
    }

    /** The settings in one log line. */
    @Override
    public String toString() {
        return "jobs " + describe(jobs) + ", job output " + describe(jobOutput) + ", audit " + describe(audit) + ", connections "
                + describe(connections) + ", revoked or expired robot tokens " + describe(robotTokens)
                + ", revoked or expired enrollment keys " + describe(enrollmentKeys);
    }
}
