package dev.beacon.jobs;

import java.util.List;

/**
 * The queue at a glance ({@code GET /api/queue}, and the gauges on {@code /metrics}): jobs waiting, the average
 * wait from queued to assigned over the last hour, and robots by status ({@code active_drivers} = online + busy).
 * Average waits are rounded to the millisecond, the precision of the timestamps they come from, so the API says
 * {@code 8.129} rather than {@code 8.129199999999999}. Immutable.
 */
public record QueueFigures(long jobsQueued, double avgWaitS, long activeDrivers, long online, long busy, long offline,
                           List<Wait> waitByFleet, List<Wait> waitByKind) {
    public QueueFigures {
        avgWaitS = toMillisecond(avgWaitS);
        waitByFleet = List.copyOf(waitByFleet);
        waitByKind = List.copyOf(waitByKind);
    }

    /** Jobs waiting for one fleet (targeted at it) or one kind, and their average wait over the last hour. */
    public record Wait(String id, String name, long jobsQueued, double avgWaitS) {
        public Wait {
            avgWaitS = toMillisecond(avgWaitS);
        }
    }

    /** Seconds rounded to three decimals; the nearest double to a whole number of milliseconds prints as such. */
    static double toMillisecond(double seconds) {
        return Math.round(seconds * 1000.0) / 1000.0;
    }
}
