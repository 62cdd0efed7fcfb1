package dev.beacon.dashboard;

import dev.beacon.jobs.QueueHistory;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The queue-over-time charts of an organization or a fleet ({@code partials/queue_history.jte}), made from its
 * {@link QueueHistory}: for the last hour and the last day, one chart of the jobs waiting and one of the wait time,
 * each with a summary in words, and the figures of every bucket that had any as a table; {@code headline} sums up the
 * last hour in one line for a collapsed view. {@code id} is unique on the page. Immutable; built on a request thread.
 */
public record QueueCharts(String id, Panel hour, Panel day, String headline) {
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY_TIME = DateTimeFormatter.ofPattern("MMM d HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    /**
     * One window: its name ("Last hour"), the two charts as SVG, their summaries, and the rows of the buckets that had
     * jobs waiting or assigned (oldest first). {@code quiet}: none had.
     */
    public record Panel(String id, String name, String queuedSvg, String waitSvg, String queuedSummary, String waitSummary,
                        List<Row> rows, boolean quiet) {
        public Panel {
            rows = List.copyOf(rows);
        }
    }

    /** One bucket in words: its start (UTC), the most jobs seen waiting, the jobs assigned and their average and longest wait. */
    public record Row(String time, String queued, String assigned, String avgWait, String maxWait) {
    }

    /** The charts of {@code history}; {@code subject} names what they show in their titles ("", or "for fleet dock-2"). */
    public static QueueCharts of(String id, String subject, QueueHistory history) {
        QueueHistory.Window hour = history.lastHour();
        Long peak = hour.peakQueued();
        String headline = "last hour: " + (peak == null ? "not sampled yet" : peak == 0 ? "none queued" : "at most " + peak + " queued")
                + ", " + (hour.assigned() == 0 ? "none assigned" : "average wait " + Fmt.seconds(hour.avgWaitS()));
        return new QueueCharts(id, panel(id + "-hour", "Last hour", "last hour", subject, hour, "60 min ago", MINUTE),
                panel(id + "-day", "Last day", "last day", subject, history.lastDay(), "24 h ago", DAY_TIME), headline);
    }

    /** Whether nothing waited and nothing was assigned all day. */
    public boolean quiet() {
        return day.quiet();
    }

    private static Panel panel(String id, String name, String window, String subject, QueueHistory.Window data, String start,
                               DateTimeFormatter time) {
        String about = subject.isEmpty() ? "" : " " + subject;
        Long peak = data.peakQueued();
        String queuedSummary = "Jobs queued" + about + ", " + window + ": " + (peak == null ? "not sampled yet."
                : peak == 0 ? "none waiting." : "at most " + peak + " waiting at once.");
        long assigned = data.assigned();
        String waitSummary = "Wait time" + about + ", " + window + ": " + (assigned == 0 ? "no jobs assigned."
                : "average " + Fmt.seconds(data.avgWaitS()) + ", max " + Fmt.seconds(data.maxWaitS()) + " over " + assigned
                        + (assigned == 1 ? " job." : " jobs."));
        String per = data.bucket().toMinutes() == 1 ? "minute" : data.bucket().toMinutes() + " minutes";
        List<SvgChart.Point> queued = new ArrayList<>();
        List<SvgChart.Point> waits = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (QueueHistory.Bucket bucket : data.buckets()) {
            queued.add(new SvgChart.Point(bucket.peakQueued() == null ? null : bucket.peakQueued().doubleValue(), null));
            waits.add(new SvgChart.Point(bucket.avgWaitS(), bucket.maxWaitS()));
            boolean waited = bucket.peakQueued() != null && bucket.peakQueued() > 0;
            if (waited || bucket.assigned() > 0) {
                rows.add(new Row(time.format(bucket.start()), bucket.peakQueued() == null ? "—" : String.valueOf(bucket.peakQueued()),
                        String.valueOf(bucket.assigned()), bucket.assigned() == 0 ? "—" : Fmt.seconds(bucket.avgWaitS()),
                        bucket.assigned() == 0 ? "—" : Fmt.seconds(bucket.maxWaitS())));
            }
        }
        String queuedSvg = SvgChart.render(new SvgChart.Spec(id + "-queued", "Jobs queued" + about + ", " + window,
                queuedSummary + " Each bar is the most jobs seen waiting in one " + per + ".", queued, QueueCharts::count, start, "now"));
        String waitSvg = SvgChart.render(new SvgChart.Spec(id + "-wait", "Wait time" + about + ", " + window,
                waitSummary + " Each bar is the average wait of the jobs assigned in one " + per + "; the line is the longest.",
                waits, QueueCharts::shortSeconds, start, "now"));
        return new Panel(id, name, queuedSvg, waitSvg, queuedSummary, waitSummary, rows, data.isQuiet());
    }

    /** A count for an axis: "12", "3k", "2M". */
    static String count(double value) {
        if (value >= 1_000_000) {
            return SvgChart.number(value / 1_000_000) + "M";
        }
        if (value >= 1_000) {
            return SvgChart.number(value / 1_000) + "k";
        }
        return SvgChart.number(value);
    }

    /** Seconds for an axis: "0.5 s", "20 s", "5 min", "2 h". */
    static String shortSeconds(double seconds) {
        if (seconds >= 3600) {
            return SvgChart.number(seconds / 3600) + " h";
        }
        if (seconds >= 60) {
            return SvgChart.number(seconds / 60) + " min";
        }
        return SvgChart.number(seconds) + " s";
    }
}
