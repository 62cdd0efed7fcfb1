package dev.beacon.store;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;

/**
 * Mints opaque object ids such as {@code rob_0193b1f0c2a49f3e1c2b7d}: a type tag, the creation time in
 * milliseconds as 12 hex digits, and 40 random bits. Ids therefore sort by creation time, which is what
 * cursor paging relies on. Thread-safe.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private final Clock clock;

    public Ids(Clock clock) {
        this.clock = clock;
    }

    /** A new id with the given type tag (e.g. {@code rob}). */
    public String next(String tag) {
        byte[] random = new byte[5];
        RANDOM.nextBytes(random);
        // 12 hex digits of milliseconds: the low 48 bits, enough until the year 10889.
        String millis = HEX.toHexDigits(clock.millis()).substring(4);
        return tag + "_" + millis + HEX.formatHex(random);
    }
}
