package dev.beacon.tokens;

import java.util.Objects;

/**
 * A raw secret value such as {@code rf_robot_<hex>}. Immutable and thread-safe.
 * {@link #toString()} shows only the masked prefix so a secret can never leak into a log by accident.
 */
public record Secret(TokenKind kind, String value) {
    public Secret {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }

    /** SHA-256 of the value as lower-case hex: what the server stores and looks up. */
    public String hash() {
        return TokenFormat.sha256Hex(value);
    }

    /** A short, safe-to-log prefix such as {@code rf_enroll_3f9a1c…}. */
    public String masked() {
        return TokenFormat.mask(value);
    }

    @Override
    public String toString() {
        return masked();
    }
}
