package dev.beacon.tokens;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.zip.CRC32;

/**
 * The secret format shared by server and agent: {@code <prefix>_<64 hex random><8 hex CRC32>}.
 * The CRC32 covers the text before it (prefix included), so a truncated or mistyped secret is caught
 * before any lookup. Thread-safe.
 */
public final class TokenFormat {
    static final int RANDOM_BYTES = 32;
    static final int RANDOM_HEX = RANDOM_BYTES * 2;
    static final int CHECKSUM_HEX = 8;
    /** How many characters after the prefix a log or a list may show. */
    static final int VISIBLE_HEX = 6;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private TokenFormat() {
    }

    /** Mints a new secret of the given kind from the CSPRNG. */
    public static Secret generate(TokenKind kind) {
        byte[] bytes = new byte[RANDOM_BYTES];
        RANDOM.nextBytes(bytes);
        String body = kind.prefix() + "_" + HEX.formatHex(bytes);
        return new Secret(kind, body + checksum(body));
    }

    /** The outcome of checking a string that claims to be a secret of some kind. */
    public sealed interface Parsed {
        record Valid(Secret secret) implements Parsed {
        }

        /** Why the text is not a well-formed secret, in words a user can act on. */
        record Malformed(String reason) implements Parsed {
        }
    }

    /** Checks prefix, length, alphabet and checksum of {@code text}; never throws. */
    public static Parsed parse(TokenKind kind, String text) {
        if (text == null || text.isBlank()) {
            return new Parsed.Malformed("the key is empty");
        }
        String candidate = text.strip();
        String expectedPrefix = kind.prefix() + "_";
        if (!candidate.startsWith(expectedPrefix)) {
            return new Parsed.Malformed("it does not start with " + expectedPrefix);
        }
        int expectedLength = expectedPrefix.length() + RANDOM_HEX + CHECKSUM_HEX;
        if (candidate.length() < expectedLength) {
            return new Parsed.Malformed("it looks truncated (" + candidate.length() + " of " + expectedLength + " characters)");
        }
        if (candidate.length() > expectedLength) {
            return new Parsed.Malformed("it is too long (" + candidate.length() + " of " + expectedLength + " characters)");
        }
        for (int i = expectedPrefix.length(); i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return new Parsed.Malformed("it contains a character that is not lower-case hex");
            }
        }
        int split = candidate.length() - CHECKSUM_HEX;
        if (!checksum(candidate.substring(0, split)).equals(candidate.substring(split))) {
            return new Parsed.Malformed("its checksum does not match, so it looks mistyped");
        }
        return new Parsed.Valid(new Secret(kind, candidate));
    }

    /** Like {@link #parse} but returns the secret or null. */
    public static Secret parseOrNull(TokenKind kind, String text) {
        return parse(kind, text) instanceof Parsed.Valid valid ? valid.secret() : null;
    }

    /** A safe-to-log prefix of any text that may be a secret: the kind prefix plus six characters. */
    public static String mask(String text) {
        if (text == null) {
            return "null";
        }
        int underscore = text.lastIndexOf('_');
        int visible = Math.min(text.length(), underscore < 0 ? 0 : underscore + 1 + VISIBLE_HEX);
        return text.substring(0, visible) + "…";
    }

    /** Lower-case hex SHA-256 of the UTF-8 bytes of {@code text}. */
    public static String sha256Hex(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HEX.formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String checksum(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.US_ASCII));
        return String.format("%08x", crc.getValue());
    }
}
