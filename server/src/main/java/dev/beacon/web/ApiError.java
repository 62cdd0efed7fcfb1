package dev.beacon.web;

/**
 * A refusal with an HTTP status, a stable machine {@code code} and a {@code detail} that tells the caller
 * what to do. Thrown by routes and web plumbing for what only HTTP knows (a body too large, a missing header, an
 * upgrade required); services throw a {@link dev.beacon.errors.DomainException} instead, which {@link Problems}
 * maps to one of these. Turned into problem JSON in exactly one place ({@link Problems}). Immutable.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final String field;
    private final Long retryAfterSeconds;

    public ApiError(int status, String code, String detail) {
        this(status, code, detail, null, null);
    }

    ApiError(int status, String code, String detail, String field, Long retryAfterSeconds) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 {@code validation_failed} naming the offending field. */
    public static ApiError validation(String field, String detail) {
        return new ApiError(400, "validation_failed", detail, field, null);
    }

    /** 422 {@code validation_failed}: well-formed, but inconsistent with what is stored. */
    public static ApiError unprocessable(String field, String detail) {
        return new ApiError(422, "validation_failed", detail, field, null);
    }

    public static ApiError notFound(String what) {
        return new ApiError(404, "not_found", "No " + what + " with that id in this organization.");
    }

    public static ApiError unauthorized(String detail) {
        return new ApiError(401, "unauthorized", detail);
    }

    public static ApiError forbidden(String detail) {
        return new ApiError(403, "forbidden", detail);
    }

    public static ApiError rateLimited(long retryAfterSeconds, String detail) {
        return new ApiError(429, "rate_limited", detail, null, Math.max(1, retryAfterSeconds));
    }

    /** 503 with {@code code}: the server cannot take this now; the caller retries after {@code retryAfterSeconds}. */
    public static ApiError unavailable(String code, long retryAfterSeconds, String detail) {
        return new ApiError(503, code, detail, null, Math.max(1, retryAfterSeconds));
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return getMessage();
    }

    /** The request field at fault, or null. */
    public String field() {
        return field;
    }

    /** Seconds for a Retry-After header, or null. */
    public Long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
