package dev.beacon.agentchannel;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Refused agent upgrades per source address: after {@value #PER_MINUTE} refusals (bad, revoked or missing tokens)
 * within a minute, every upgrade from that address is refused with 429 before its token is looked up, until the
 * budget refills; and the server logs at most one line per address and {@link #LOG_INTERVAL} about them. Accepted
 * upgrades cost nothing, and other addresses are not affected. Thread-safe; called on request threads, and
 * {@link #forgetQuiet} on the sweeper.
 */
final class RefusedUpgrades {
    static final int PER_MINUTE = 60;
    static final Duration LOG_INTERVAL = Duration.ofMinutes(1);
    /** Past this many tracked addresses, new ones are not tracked until the sweeper drops quiet ones. */
    private static final int MAX_TRACKED = 100_000;

    private static final class Source {
        final Bucket bucket = Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(PER_MINUTE).refillGreedy(PER_MINUTE, Duration.ofMinutes(1)).build())
                .build();
        /** The channel's ticker (nanoseconds) at the last log line about this address; guarded by this. */
        long loggedAtNanos;
        boolean everLogged;
        /** Refusals since that line; guarded by this. */
        long unlogged;
        volatile long lastRefusedNanos;
    }

    private final ConcurrentHashMap<String, Source> sources = new ConcurrentHashMap<>();

    /** Seconds until {@code ip} may try again, or 0 when its refusal budget is not spent. */
    long secondsUntilAllowed(String ip) {
        Source source = sources.get(ip);
        if (source == null || source.bucket.getAvailableTokens() > 0) {
            return 0;
        }
        long nanos = source.bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Counts one refused upgrade from {@code ip} against its budget. */
    void recordRefusal(String ip, long nowNanos) {
        Source source = sources.get(ip);
        if (source == null) {
            if (sources.size() >= MAX_TRACKED) {
                return;
            }
            source = sources.computeIfAbsent(ip, key -> new Source());
        }
        source.lastRefusedNanos = nowNanos;
        source.bucket.tryConsume(1);
    }

    /**
     * Whether a refusal from {@code ip} may be logged now: -1 when a line about this address was written within
     * {@link #LOG_INTERVAL}, else how many refusals went unlogged since that line (0 the first time).
     */
    long claimLogLine(String ip, long nowNanos) {
        Source source = sources.get(ip);
        if (source == null) {
            return -1; // not tracked (the table is full): stay quiet rather than flood the log
        }
        synchronized (source) {
            if (source.everLogged && nowNanos - source.loggedAtNanos < LOG_INTERVAL.toNanos()) {
                source.unlogged++;
                return -1;
            }
            long unlogged = source.unlogged;
            source.everLogged = true;
            source.loggedAtNanos = nowNanos;
            source.unlogged = 0;
            return unlogged;
        }
    }

    /** Drops addresses with no refusal for longer than the budget and log interval take to forget them. */
    void forgetQuiet(long nowNanos) {
        long quiet = Math.max(Duration.ofMinutes(1).toNanos(), LOG_INTERVAL.toNanos());
        sources.values().removeIf(source -> nowNanos - source.lastRefusedNanos > quiet);
    }

    int tracked() {
        return sources.size();
    }
}
