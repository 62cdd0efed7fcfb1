package dev.beacon.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * The waits of the last hour's assignments of each organization (the {@code avg_wait_s} figures of
 * {@code GET /api/queue}), read at most once per {@link #MAX_AGE} per organization. Summing them walks every job
 * assigned in the last hour, hundreds of thousands of index entries at a thousand jobs a second, while the counts
 * beside them (jobs queued, robots by status) are cheap and read fresh by {@link JobService#figures} on every call.
 * Used by {@link JobService}; thread-safe: one caller per organization reads while the others wait for its answer.
 */
final class QueueWaits {
    /** How old the waits may be. */
    static final Duration MAX_AGE = Duration.ofSeconds(10);
    /** The assignments averaged: those of the last hour. */
    static final Duration WINDOW = Duration.ofHours(1);

    private final Clock clock;
    private final BiFunction<String, Instant, Sums> source;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();

    /** {@code source} sums the waits of one organization's assignments made since the given instant. */
    QueueWaits(Clock clock, BiFunction<String, Instant, Sums> source) {
        this.clock = clock;
        this.source = source;
    }

    /** The waits of one organization, at most {@link #MAX_AGE} old. */
    Sums of(String orgId) {
        return slots.computeIfAbsent(orgId, id -> new Slot()).get(orgId);
    }

    /** The waits of these organizations together (the figures of all, for {@code /metrics}). */
    Sums ofAll(List<String> orgIds) {
        Sums all = Sums.NONE;
        for (String orgId : orgIds) {
            all = all.plus(of(orgId));
        }
        return all;
    }

    /** One organization's last read. */
    private final class Slot {
        private Sums sums;   // guarded by this
        private long readAt; // guarded by this; clock millis

        synchronized Sums get(String orgId) {
            long now = clock.millis();
            if (sums == null || now - readAt >= MAX_AGE.toMillis() || now < readAt) {
                sums = source.apply(orgId, Instant.ofEpochMilli(now).minus(WINDOW));
                readAt = now;
            }
            return sums;
        }
    }

    /** Assignments counted and their waits added up, in milliseconds. Immutable. */
    record Sum(long count, long totalMillis) {
        static final Sum NONE = new Sum(0, 0);

        Sum plus(Sum other) {
            return new Sum(count + other.count, totalMillis + other.totalMillis);
        }

        /** The average wait in seconds; 0 without assignments. */
        double averageSeconds() {
            return count == 0 ? 0 : totalMillis / 1000.0 / count;
        }
    }

    /** The sums over all assignments, by kind and by the fleet their robot is in now. Immutable. */
    record Sums(Sum all, Map<String, Sum> byKind, Map<String, Sum> byFleet) {
        static final Sums NONE = new Sums(Sum.NONE, Map.of(), Map.of());

        Sums {
            byKind = Map.copyOf(byKind);
            byFleet = Map.copyOf(byFleet);
        }

        Sums plus(Sums other) {
            return new Sums(all.plus(other.all), merge(byKind, other.byKind), merge(byFleet, other.byFleet));
        }

        private static Map<String, Sum> merge(Map<String, Sum> a, Map<String, Sum> b) {
            Map<String, Sum> merged = new HashMap<>(a);
            b.forEach((key, sum) -> merged.merge(key, sum, Sum::plus));
            return merged;
        }
    }
}
