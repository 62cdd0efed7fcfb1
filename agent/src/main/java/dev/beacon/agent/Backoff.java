package dev.beacon.agent;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with full jitter: the n-th consecutive delay is uniform in
 * [0, min(cap, base·2ⁿ)]. Full jitter spreads a fleet that lost its server at the same moment, so the agents do
 * not all reconnect in lockstep. The agent's own settings are {@link #ofAgentDefaults()}; the load generator's
 * simulated agents use the same, so a simulated connect storm spreads as a real one would. Not thread-safe; the
 * reconnect loop owns it.
 */
public final class Backoff {
    /** The agent's first reconnect ceiling: short, so a blip costs almost nothing. */
    static final Duration DEFAULT_BASE = Duration.ofMillis(500);
    /** The agent's largest reconnect ceiling: bounds the wait after a long outage. */
    static final Duration DEFAULT_CAP = Duration.ofSeconds(30);

    private final Duration base;
    private final Duration cap;
    private final RandomGenerator random;
    private int attempt;

    Backoff(Duration base, Duration cap, RandomGenerator random) {
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("need 0 < base <= cap, got base " + base + ", cap " + cap);
        }
        this.base = base;
        this.cap = cap;
        this.random = random;
    }

    /** A backoff with the agent's settings (0.5 s doubling to 30 s). */
    public static Backoff ofAgentDefaults() {
        return new Backoff(DEFAULT_BASE, DEFAULT_CAP, new java.util.Random());
    }

    /** The next delay; each call without {@link #reset()} doubles the ceiling until it reaches the cap. */
    public Duration next() {
        long ceiling = ceilingNanos(attempt);
        if (ceiling < cap.toNanos()) {
            attempt++; // stop counting once capped, so the shift below can never overflow
        }
        return Duration.ofNanos((long) (random.nextDouble() * ceiling));
    }

    /**
     * The next delay after a refusal that said when to come back ({@code notBefore}, from its {@code Retry-After}):
     * that long, then the usual jittered delay on top, so a fleet told the same time does not return in lockstep.
     */
    public Duration next(Duration notBefore) {
        return notBefore.plus(next());
    }

    /**
     * A refused request's {@code Retry-After} header in seconds (the delta form; the date form and anything unreadable count as
     * none), at most {@link #DEFAULT_CAP}: zero when the response did not say.
     */
    public static Duration retryAfter(HttpHeaders headers) {
        String value = headers.firstValue("Retry-After").orElse("").strip();
        if (value.isEmpty() || value.length() > 6 || !value.chars().allMatch(Character::isDigit)) {
            return Duration.ZERO;
        }
        return Duration.ofSeconds(Math.min(Long.parseLong(value), DEFAULT_CAP.toSeconds()));
    }

    /** Starts over from {@code base}, after a connection that got as far as {@code welcome}. */
    public void reset() {
        attempt = 0;
    }

    long ceilingNanos(int n) {
        long baseNanos = base.toNanos();
        if (n >= 62 || baseNanos > (cap.toNanos() >> Math.min(n, 62))) {
            return cap.toNanos();
        }
        return Math.min(cap.toNanos(), baseNanos << n);
    }
}
