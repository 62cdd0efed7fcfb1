package dev.beacon.agentchannel;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;

/**
 * Caps how many agent WebSocket upgrades the server starts per second, so that a whole fleet reconnecting
 * at once (after a restart) is admitted at a pace the server can take instead of all at once: each upgrade
 * holds a request's buffers until it is welcomed, and its hello writes presence. Only upgrades whose token
 * was valid take a slot (the check comes first), so upgrades without one cannot starve real agents; those
 * are limited per source address by {@link RefusedUpgrades}. Excess upgrades are refused with 503,
 * {@code agent_connect_throttled} and a Retry-After; agents back off and retry on their own. The rate is {@code beacon server --agent-connects-per-second} (env
 * {@code BEACON_AGENT_CONNECTS_PER_SECOND}, default 1,000); 0 turns the limit off. Thread-safe.
 */
final class UpgradeLimiter {
    private final Bucket bucket;
    private final int perSecond;

    UpgradeLimiter(int perSecond) {
        this.perSecond = perSecond;
        // A burst of a fifth of a second's worth: an idle server still takes a handful at once, a storm is smoothed.
        this.bucket = perSecond <= 0 ? null : Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(Math.max(1, perSecond / 5)).refillGreedy(perSecond, Duration.ofSeconds(1)).build())
                .build();
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
