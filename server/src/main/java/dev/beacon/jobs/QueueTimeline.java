package dev.beacon.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue over the last day, per organization, held in memory for {@link QueueHistory}: minute by minute, the most
 * jobs seen waiting and the waits of the jobs assigned.
 *
 * <p>Waits come from the jobs table, read at most every {@link #MAX_AGE} per organization, and only the minutes not
 * read yet: a minute's assignments are final once {@link #SETTLE} past its end (an assignment is stamped with the
 * time it is made and committed within moments), so after the first read of a day each read walks about two
 * minutes of {@code jobs_assigned}, not a day. The first read after a start walks the day once.
 *
 * <p>Jobs waiting cannot be read back for a past minute: a requeued job's {@code queued_at} is overwritten, and
 * counting the jobs that were waiting at a past instant walks every job assigned since, with no index for it. So they
 * are sampled instead ({@link #sampleAll}, every {@link #SAMPLE_EVERY}, plus each read), and each minute keeps its
 * highest sample. Samples live in this process only: a restarted node shows no queue before its start (a gap, not a
 * zero), and each node of a cluster samples the same database for itself.
 *
 * <p>Memory: per organization two arrays of a day's minutes, the same per fleet that had jobs waiting, and the
 * minutes with assignments. Thread-safe: each organization's state is guarded by its own lock.
 */
final class QueueTimeline {
    private static final Logger log = LoggerFactory.getLogger(QueueTimeline.class);

    /** How old the waits may be when read. */
    static final Duration MAX_AGE = Duration.ofSeconds(10);
    /** How often the scheduler samples the jobs waiting. */
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(15);
    /** After this long past its end a minute's assignments are final and never read again. */
    static final Duration SETTLE = Duration.ofSeconds(60);
    static final int DAY_MINUTES = 24 * 60;
    static final int HOUR_MINUTES = 60;
    /** The last day's buckets: half an hour each. */
    static final int DAY_BUCKET_MINUTES = 30;
    private static final long MINUTE_MILLIS = 60_000;

    private final Clock clock;
    private final QueueHistoryStore store;
    private final Map<String, Org> orgs = new ConcurrentHashMap<>();

    QueueTimeline(Clock clock, QueueHistoryStore store) {
        this.clock = clock;
        this.store = store;
    }

    /** Samples the jobs waiting in every organization now. Run by the scheduler; never throws. */
    void sampleAll() {
        try {
            long minute = Math.floorDiv(clock.millis(), MINUTE_MILLIS);
            Map<String, QueueHistoryStore.Queued> queued = store.queuedNow(null);
            for (String orgId : store.organizationIds()) {
                org(orgId).recordQueued(minute, queued.getOrDefault(orgId, QueueHistoryStore.Queued.NONE));
            }
        } catch (RuntimeException e) {
            log.warn("could not sample the queue for its charts; trying again in {} s: {}", SAMPLE_EVERY.toSeconds(), e.toString());
        }
    }

    /** The organization's queue history, or one fleet's ({@code fleetId} not null); waits at most {@link #MAX_AGE} old. */
    QueueHistory of(String orgId, String fleetId) {
        Org org = org(orgId);
        long now = clock.millis();
        return org.history(orgId, fleetId, now);
    }

    private Org org(String orgId) {
        return orgs.computeIfAbsent(orgId, id -> new Org());
    }

    /** One organization's minutes. */
    private final class Org {
        private final MinuteRing queued = new MinuteRing();                   // guarded by this
        private final Map<String, MinuteRing> queuedByFleet = new HashMap<>(); // guarded by this
        private final TreeMap<Long, QueueHistoryStore.MinuteWaits> waits = new TreeMap<>(); // guarded by this
        /** Minutes before this are final and held in {@link #waits}. */
        private long readThrough = Long.MIN_VALUE; // guarded by this
        private long readAt = Long.MIN_VALUE;      // guarded by this; clock millis

        synchronized void recordQueued(long minute, QueueHistoryStore.Queued now) {
            queued.keepMax(minute, now.all());
            now.byFleet().forEach((fleetId, count) -> queuedByFleet.computeIfAbsent(fleetId, id -> new MinuteRing()).keepMax(minute, count));
        }

        synchronized QueueHistory history(String orgId, String fleetId, long now) {
            long current = Math.floorDiv(now, MINUTE_MILLIS);
            if (readAt == Long.MIN_VALUE || now < readAt || now - readAt >= MAX_AGE.toMillis()) {
                read(orgId, now, current);
            }
            List<QueueHistory.Bucket> hour = new ArrayList<>(HOUR_MINUTES);
            for (long minute = current - HOUR_MINUTES + 1; minute <= current; minute++) {
                hour.add(bucket(fleetId, minute, minute));
            }
            List<QueueHistory.Bucket> day = new ArrayList<>();
            long lastBucket = Math.floorDiv(current, DAY_BUCKET_MINUTES);
            for (long b = lastBucket - DAY_MINUTES / DAY_BUCKET_MINUTES + 1; b <= lastBucket; b++) {
                day.add(bucket(fleetId, b * DAY_BUCKET_MINUTES, Math.min(current, b * DAY_BUCKET_MINUTES + DAY_BUCKET_MINUTES - 1)));
            }
            Instant end = Instant.ofEpochMilli(now);
            return new QueueHistory(new QueueHistory.Window(Duration.ofMinutes(1), end, hour),
                    new QueueHistory.Window(Duration.ofMinutes(DAY_BUCKET_MINUTES), end, day));
        }

        /** Reads the minutes of waits not held yet, and samples the jobs waiting now. */
        private void read(String orgId, long now, long current) {
            if (now < readAt) {
                waits.clear(); // the clock went back: what is held may be in the future
                readThrough = Long.MIN_VALUE;
            }
            long firstOfDay = current - DAY_MINUTES + 1;
            long from = Math.max(firstOfDay, readThrough);
            Map<Long, QueueHistoryStore.MinuteWaits> read = store.waitsSince(orgId, from * MINUTE_MILLIS);
            waits.tailMap(from, true).clear();
            waits.putAll(read);
            waits.headMap(firstOfDay).clear();
            readThrough = Math.floorDiv(now - SETTLE.toMillis(), MINUTE_MILLIS);
            readAt = now;
            recordQueued(current, store.queuedNow(orgId).getOrDefault(orgId, QueueHistoryStore.Queued.NONE));
        }

        /** Minutes {@code first} to {@code last} together, for the whole organization or one fleet. */
        private QueueHistory.Bucket bucket(String fleetId, long first, long last) {
            Long peak = null;
            QueueHistoryStore.Waits sum = QueueHistoryStore.Waits.NONE;
            for (long minute = first; minute <= last; minute++) {
                Long seen = queuedAt(fleetId, minute);
                if (seen != null && (peak == null || seen > peak)) {
                    peak = seen;
                }
            }
            for (QueueHistoryStore.MinuteWaits minute : waits.subMap(first, true, last, true).values()) {
                QueueHistoryStore.Waits counted = fleetId == null ? minute.all() : minute.byFleet().get(fleetId);
                if (counted != null) {
                    sum = sum.plus(counted);
                }
            }
            return new QueueHistory.Bucket(Instant.ofEpochMilli(first * MINUTE_MILLIS), peak, sum.count(), sum.totalMillis(),
                    sum.maxMillis());
        }

        /** The most jobs seen waiting in the minute (for one fleet: targeted at it); null when it was not sampled. */
        private Long queuedAt(String fleetId, long minute) {
            Long all = queued.get(minute);
            if (all == null || fleetId == null) {
                return all;
            }
            MinuteRing fleet = queuedByFleet.get(fleetId);
            Long count = fleet == null ? null : fleet.get(minute);
            return count == null ? 0L : count;
        }
    }

    /** One value per minute for the last day, in a ring: a minute's slot is reused a day later. Not thread-safe. */
    private static final class MinuteRing {
        private final long[] minutes = new long[DAY_MINUTES];
        private final long[] values = new long[DAY_MINUTES];

        MinuteRing() {
            Arrays.fill(minutes, Long.MIN_VALUE);
        }

        void keepMax(long minute, long value) {
            int slot = Math.floorMod(minute, DAY_MINUTES);
            if (minutes[slot] != minute) {
                minutes[slot] = minute;
                values[slot] = value;
            } else if (value > values[slot]) {
                values[slot] = value;
            }
        }

        Long get(long minute) {
            int slot = Math.floorMod(minute, DAY_MINUTES);
            return minutes[slot] == minute ? values[slot] : null;
        }
    }
}
