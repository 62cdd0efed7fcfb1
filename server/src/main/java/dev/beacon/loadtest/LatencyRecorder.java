package dev.beacon.loadtest;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Collects per-request latencies and error codes during a bounded load run. Workers call {@link #success}
 * and {@link #error} concurrently; {@link #summary} is read once at the end. Thread-safe.
 */
final class LatencyRecorder {
    private final long[] latenciesNanos;
    private final AtomicLong recorded = new AtomicLong();
    private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();

    LatencyRecorder(int capacity) {
        this.latenciesNanos = new long[capacity];
    }

    void success(long nanos) {
        long slot = recorded.getAndIncrement();
        if (slot < latenciesNanos.length) {
            latenciesNanos[(int) slot] = nanos;
        }
    }

    void error(String code) {
        errors.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    long successes() {
        return recorded.get();
    }

    /** The latencies recorded so far, in nanoseconds, in no particular order (a worker hands them to its parent). */
    long[] samples() {
        return Arrays.copyOf(latenciesNanos, (int) Math.min(recorded.get(), latenciesNanos.length));
    }

    /** The errors so far by code. */
    Map<String, Long> errorsByCode() {
        Map<String, Long> errorsByCode = new TreeMap<>();
        errors.forEach((code, count) -> errorsByCode.put(code, count.sum()));
        return errorsByCode;
    }

    /** Adds latencies and errors recorded elsewhere (by a worker process). */
    void addAll(long[] nanos, Map<String, Long> errorsByCode) {
        for (long sample : nanos) {
            success(sample);
        }
        errorsByCode.forEach((code, count) -> errors.computeIfAbsent(code, k -> new LongAdder()).add(count));
    }

    long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Percentiles in milliseconds over the successful requests, plus errors by code. */
    Summary summary(double elapsedSeconds) {
        int n = (int) Math.min(recorded.get(), latenciesNanos.length);
        long[] sorted = Arrays.copyOf(latenciesNanos, n);
        Arrays.sort(sorted);
        return new Summary(recorded.get(), errorsByCode(), elapsedSeconds, recorded.get() / Math.max(elapsedSeconds, 1e-9),
                percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), n == 0 ? 0 : sorted[n - 1] / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(index, sorted.length - 1))] / 1e6;
    }

    /** The figures of one run. */
    record Summary(long ok, Map<String, Long> errorsByCode, double elapsedS, double perSecond,
                   double p50Ms, double p95Ms, double p99Ms, double maxMs) {
    }
}
