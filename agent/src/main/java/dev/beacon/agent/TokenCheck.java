package dev.beacon.agent;

/**
 * What the server said about the saved robot token when {@code beacon agent status} asked
 * ({@code GET /api/agent/me}). Immutable and thread-safe.
 */
public sealed interface TokenCheck {
    /**
     * 200: the token is valid; {@code robotId} and {@code name} are what the server has on record, {@code server}
     * the base URL that answered.
     */
    record Accepted(String robotId, String name, String status, String server) implements TokenCheck {
    }

    /**
     * 401/403: the token is revoked or the robot removed; {@code code} is the problem code, if any, {@code server}
     * the base URL that answered.
     */
    record Refused(int httpStatus, String code, String server) implements TokenCheck {
    }

    /** No usable answer: unreachable, TLS failure, or an unexpected status; {@code line} says which. */
    record Unknown(String line) implements TokenCheck {
    }
}
