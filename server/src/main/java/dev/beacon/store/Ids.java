package dev.beacon.store;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;

/**
 * Mints opaque object ids such as {@code rob_0193b1f0c2a49f3e1c2b7d}: a type tag, the creation time in
 * milliseconds as 12 hex digits, and 40 random bits. Ids therefore sort by creation time, which is what
 * cursor paging and "oldest first" rely on. Within one millisecond (and if the clock steps back) an id takes the
 * previous one's time and a random part a little above the previous one's, so the ids one instance mints sort in
 * the order they were minted (across nodes, only to the millisecond). Thread-safe.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();
    private static final long RANDOM_BITS = 40;
    private static final long RANDOM_LIMIT = 1L << RANDOM_BITS;
    /** The largest step between two ids of one millisecond: room for half a million or more, still not guessable. */
    private static final int MAX_STEP = 1 << 20;

    private final Clock clock;
    private long lastMillis = Long.MIN_VALUE;
    private long lastRandom;

    public Ids(Clock clock) {
        this.clock = clock;
    }

    /** A new id with the given type tag (e.g. {@code rob}). */
    public String next(String tag) {
        long bits = RANDOM.nextLong(); // one draw for both parts: each draw may read the OS's generator
        long fresh = bits & (RANDOM_LIMIT / 2 - 1); // a new millisecond's: the lower half, room to count up
        long step = 1 + ((bits >>> RANDOM_BITS) & (MAX_STEP - 1)); // from 20 bits the part above does not use
        long millis;
        long random;
        synchronized (this) { // only arithmetic inside: the random draws above may read the OS's generator
            millis = clock.millis();
            if (millis > lastMillis) {
                random = fresh;
            } else {
                millis = lastMillis;
                random = lastRandom + step;
                if (random >= RANDOM_LIMIT) { // half a million ids or more in one millisecond: borrow the next one
                    millis++;
                    random = fresh;
                }
            }
            lastMillis = millis;
            lastRandom = random;
        }
        // 12 hex digits of milliseconds: the low 48 bits, enough until the year 10889; then 10 of the random part.
        return tag + "_" + HEX.toHexDigits(millis).substring(4) + HEX.toHexDigits(random).substring(6);
    }
}
