package dev.beacon.errors;

/**
 * Why a service refused to do what was asked: the one unchecked root of Beacon's domain errors. Each carries a stable
 * machine {@link #code()} and a {@link #detail()} that tells the caller what to do; none knows anything of HTTP (the
 * web layer maps each kind to a status in one place). Services throw these; callers may catch them on any thread.
 * Immutable, and cheap to throw: it records no stack trace, since it reports an expected refusal, not a bug.
 */
public abstract sealed class DomainException extends RuntimeException permits NotFound, Invalid, Conflict, Refused, RateLimited {
    private final String code;

    DomainException(String code, String detail) {
        super(detail, null, false, false);
        this.code = code;
    }

    /** The stable machine code, e.g. {@code not_found} or {@code robot_offline}. */
    public String code() {
        return code;
    }

    /** The human explanation, written for the caller. */
    public String detail() {
        return getMessage();
    }
}
