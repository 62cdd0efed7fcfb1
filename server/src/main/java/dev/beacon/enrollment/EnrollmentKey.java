package dev.beacon.enrollment;

import java.time.Instant;
import java.util.List;

/**
 * An enrollment key as stored, without its raw value (that stays encrypted until an admin asks).
 * Immutable.
 */
public record EnrollmentKey(String id, String orgId, String siteId, String fleetId, String name, String keyPrefix,
                            String keyCiphertext, int maxUses, int uses, List<String> allowedCidrs,
                            Instant expiresAt, Instant createdAt, Instant revokedAt) {
    public EnrollmentKey {
        allowedCidrs = List.copyOf(allowedCidrs);
    }

    /** {@code active, expired, exhausted} or {@code revoked} at {@code now}; revocation wins, then expiry. */
    public EnrollmentKeyStatus status(Instant now) {
        if (revokedAt != null) {
            return EnrollmentKeyStatus.REVOKED;
        }
        if (!expiresAt.isAfter(now)) {
            return EnrollmentKeyStatus.EXPIRED;
        }
        if (uses >= maxUses) {
            return EnrollmentKeyStatus.EXHAUSTED;
        }
        return EnrollmentKeyStatus.ACTIVE;
    }
}
