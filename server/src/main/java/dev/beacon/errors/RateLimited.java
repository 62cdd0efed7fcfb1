package dev.beacon.errors;

/** Too many attempts from this caller; code {@code rate_limited}, with how long to wait (at least a second). Immutable. */
public final class RateLimited extends DomainException {
    private final long retryAfterSeconds;

    public RateLimited(long retryAfterSeconds, String detail) {
        super("rate_limited", detail);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    /** Seconds until an attempt may succeed; at least 1. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
