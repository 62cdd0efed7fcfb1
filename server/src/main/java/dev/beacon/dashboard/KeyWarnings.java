package dev.beacon.dashboard;

import dev.beacon.apikeys.ApiKey;
import dev.beacon.enrollment.EnrollmentKey;
import dev.beacon.enrollment.EnrollmentKeyStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * The warnings the key lists show beside a usable key: an API key unused for {@link #UNUSED_DAYS} days or more (a
 * candidate for revoking), an enrollment token that expires within {@link #EXPIRING_HOURS} hours. API keys have no
 * expiry. For templates; stateless and thread-safe.
 */
public final class KeyWarnings {
    /** Days without a request after which an API key is called unused. */
    public static final int UNUSED_DAYS = 30;
    /** Hours before its expiry from which an active enrollment token is flagged. */
    public static final int EXPIRING_HOURS = 24;

    private KeyWarnings() {
    }

    /**
     * "Unused for 45 days" for a usable key last used {@link #UNUSED_DAYS}+ days ago, "Never used in 31 days" for one
     * never used and created that long ago; null otherwise.
     */
    public static String apiKey(ApiKey key, Instant now) {
        if (key.isRevoked()) {
            return null;
        }
        Instant since = key.lastUsedAt() != null ? key.lastUsedAt() : key.createdAt();
        long days = Duration.between(since, now).toDays();
        if (days < UNUSED_DAYS) {
            return null;
        }
        return (key.lastUsedAt() != null ? "Unused for " : "Never used in ") + days + " days";
    }

    /** "Expires in 5 h" (or "in 40 min") for an active token that expires within {@link #EXPIRING_HOURS} hours; else null. */
    public static String enrollmentToken(EnrollmentKey token, Instant now) {
        if (token.status(now) != EnrollmentKeyStatus.ACTIVE) {
            return null;
        }
        Duration left = Duration.between(now, token.expiresAt());
        if (left.toHours() >= EXPIRING_HOURS) {
            return null;
        }
        return left.toMinutes() < 60 ? "Expires in " + Math.max(1, left.toMinutes()) + " min" : "Expires in " + left.toHours() + " h";
    }
}
