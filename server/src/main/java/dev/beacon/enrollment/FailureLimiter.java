package dev.beacon.enrollment;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits refused claims per source address, so nobody can guess keys or flood the audit log: after
 * {@code perMinute} refusals within a minute, every claim from that address gets 429 until the bucket
 * refills. Successful claims cost nothing. Thread-safe.
 */
final class FailureLimiter {
    /** Past this many tracked addresses, buckets that have refilled are dropped. */
    private static final int MAX_TRACKED = 100_000;

    private final long perMinute;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    FailureLimiter(long perMinute) {
        this.perMinute = perMinute;
    }

    /** Seconds until {@code ip} may claim again, or 0 when it may claim now. */
    long secondsUntilAllowed(String ip) {
        Bucket bucket = buckets.get(ip);
        if (bucket == null || bucket.getAvailableTokens() > 0) {
            return 0;
        }
        long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        return Math.max(1, Duration.ofNanos(nanos).toSeconds() + 1);
    }

    /** Counts one refused claim from {@code ip}. */
    void recordRefusal(String ip) {
        if (buckets.size() > MAX_TRACKED) {
            buckets.values().removeIf(bucket -> bucket.getAvailableTokens() >= perMinute);
        }
        buckets.computeIfAbsent(ip, key -> Bucket.builder()
                        .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
                        .build())
                .tryConsume(1);
    }
}
