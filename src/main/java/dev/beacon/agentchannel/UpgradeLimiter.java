package dev.beacon.agentchannel;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;

/**
 * Caps how many agent WebSocket upgrades the server starts per second, so that a whole fleet reconnecting
 * at once (after a restart) is admitted at a pace the server can take instead of all at once: each upgrade
 * authenticates against the database and holds a request's buffers until it is welcomed. Excess upgrades
 * are refused with 503, {@code agent_connect_throttled} and a Retry-After; agents back off and retry on
 * their own. The rate comes from {@code BEACON_AGENT_CONNECTS_PER_SECOND} (or the system property
 * {@code beacon.agent.connectsPerSecond}); 0 turns the limit off. Thread-safe.
 */
final class UpgradeLimiter {
    /** Admits about this many upgrades per second by default: above what this server completes on 2 cores, so it only trims spikes. */
    static final int DEFAULT_PER_SECOND = 1_000;

    private final Bucket bucket;
    private final int perSecond;

    UpgradeLimiter(int perSecond) {
        this.perSecond = perSecond;
        // A burst of a fifth of a second's worth: an idle server still takes a handful at once, a storm is smoothed.
        this.bucket = perSecond <= 0 ? null : Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(Math.max(1, perSecond / 5)).refillGreedy(perSecond, Duration.ofSeconds(1)).build())
                .build();
    }

    /** The limit the environment asks for, else {@link #DEFAULT_PER_SECOND}. */
    static UpgradeLimiter fromEnvironment() {
        String configured = System.getProperty("beacon.agent.connectsPerSecond", System.getenv("BEACON_AGENT_CONNECTS_PER_SECOND"));
        if (configured == null || configured.isBlank()) {
            return new UpgradeLimiter(DEFAULT_PER_SECOND);
        }
        try {
            return new UpgradeLimiter(Integer.parseInt(configured.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("BEACON_AGENT_CONNECTS_PER_SECOND must be a whole number (0 = no limit), got '" + configured + "'");
        }
    }

    int perSecond() {
        return perSecond;
    }

    /** 0 when an upgrade may start now (and takes its slot), else the whole seconds to wait before retrying. */
    long secondsToWait() {
        if (bucket == null) {
            return 0;
        }
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }
}
