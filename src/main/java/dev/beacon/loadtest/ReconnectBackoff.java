package dev.beacon.loadtest;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The real agent's reconnect backoff ({@code dev.beacon.agent.Backoff}, package-private there), with the real
 * agent's settings: capped exponential backoff with full jitter, the n-th consecutive delay uniform in
 * [0, min(30 s, 0.5 s·2ⁿ)]. A copy, so that a connect storm from simulated agents spreads exactly as one
 * from real agents would; keep the two in step. Not thread-safe; one per simulated agent, used under its lock.
 */
final class ReconnectBackoff {
    static final long BASE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    static final long CAP_NANOS = TimeUnit.SECONDS.toNanos(30);
    private int attempt;

    /** The next delay in nanoseconds; each call without {@link #reset()} doubles the ceiling until the cap. */
    long nextNanos() {
        long ceiling = ceilingNanos(attempt);
        if (ceiling < CAP_NANOS) {
            attempt++;
        }
        return (long) (ThreadLocalRandom.current().nextDouble() * ceiling);
    }

    /** Starts over from the base, after a connection that got as far as {@code welcome}. */
    void reset() {
        attempt = 0;
    }

    static long ceilingNanos(int n) {
        if (n >= 62 || BASE_NANOS > (CAP_NANOS >> Math.min(n, 62))) {
            return CAP_NANOS;
        }
        return Math.min(CAP_NANOS, BASE_NANOS << n);
    }
}
