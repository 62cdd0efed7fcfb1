package dev.beacon.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The queue of one organization, or of one fleet, over time, as the dashboard charts it: the last hour in one-minute
 * buckets and the last day in half-hour buckets. Each bucket holds the most jobs seen waiting in it (sampled, see
 * {@link QueueTimeline}; null where no sample was taken, e.g. before the server started) and the waits, from queued
 * to assigned, of the jobs assigned in it. For a fleet: the jobs queued with that fleet as their target, and the
 * waits of the jobs assigned to its machines (as in {@code wait_by_fleet} of {@code GET /api/queue}). Immutable.
 */
public record QueueHistory(Window lastHour, Window lastDay) {
    /** Consecutive buckets of one length, oldest first; the last one holds {@code end} (now) and is still filling. */
    public record Window(Duration bucket, Instant end, List<Bucket> buckets) {
        public Window {
            buckets = List.copyOf(buckets);
        }

        /** The most jobs seen waiting at once in the window; null when nothing was sampled. */
        public Long peakQueued() {
            Long peak = null;
            for (Bucket b : buckets) {
                if (b.peakQueued() != null && (peak == null || b.peakQueued() > peak)) {
                    peak = b.peakQueued();
                }
            }
            return peak;
        }

        /** Jobs assigned in the window. */
        public long assigned() {
            return buckets.stream().mapToLong(Bucket::assigned).sum();
        }

        /** The average wait of the window's assignments in seconds; 0 without any. */
        public double avgWaitS() {
            long count = assigned();
            return count == 0 ? 0 : buckets.stream().mapToLong(Bucket::totalWaitMillis).sum() / 1000.0 / count;
        }

        /** The longest wait of the window's assignments in seconds; 0 without any. */
        public double maxWaitS() {
            return buckets.stream().mapToLong(Bucket::maxWaitMillis).max().orElse(0) / 1000.0;
        }

        /** Whether no job was assigned and none was seen waiting in the window. */
        public boolean isQuiet() {
            Long peak = peakQueued();
            return assigned() == 0 && (peak == null || peak == 0);
        }
    }

    /**
     * One bucket from {@code start}: the most jobs seen waiting (null: not sampled), and the count, total and longest
     * wait (ms) of the jobs assigned in it.
     */
    public record Bucket(Instant start, Long peakQueued, long assigned, long totalWaitMillis, long maxWaitMillis) {
        /** The average wait in seconds; null without assignments. */
        public Double avgWaitS() {
            return assigned == 0 ? null : totalWaitMillis / 1000.0 / assigned;
        }

        /** The longest wait in seconds; null without assignments. */
        public Double maxWaitS() {
            return assigned == 0 ? null : maxWaitMillis / 1000.0;
        }
    }
}
