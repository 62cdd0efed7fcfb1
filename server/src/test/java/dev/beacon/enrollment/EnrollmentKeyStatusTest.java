package dev.beacon.enrollment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link EnrollmentKeyStatus}'s wire names are the API's, and a key's status follows revocation, expiry and uses. */
class EnrollmentKeyStatusTest {
    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

    private static EnrollmentKey key(int uses, Instant expiresAt, Instant revokedAt) {
        return new EnrollmentKey("ek_1", "org_1", "site_1", "flt_1", "k", "bk_ab", "sealed", 3, uses, List.of(), expiresAt,
                NOW.minusSeconds(60), revokedAt);
    }

    @Test
    void wireNamesAreTheApisStatuses() throws Exception {
        assertThat(Arrays.stream(EnrollmentKeyStatus.values()).map(EnrollmentKeyStatus::wireName))
                .containsExactly("active", "expired", "exhausted", "revoked");
        for (EnrollmentKeyStatus status : EnrollmentKeyStatus.values()) {
            assertThat(EnrollmentKeyStatus.fromWire(status.wireName())).contains(status);
            assertThat(new ObjectMapper().writeValueAsString(status)).isEqualTo("\"" + status.wireName() + "\"");
        }
    }

    @Test
    void revocationWinsThenExpiryThenUses() {
        Instant later = NOW.plusSeconds(3600);
        assertThat(key(0, later, null).status(NOW)).isEqualTo(EnrollmentKeyStatus.ACTIVE);
        assertThat(key(3, later, null).status(NOW)).isEqualTo(EnrollmentKeyStatus.EXHAUSTED);
        assertThat(key(3, NOW, null).status(NOW)).isEqualTo(EnrollmentKeyStatus.EXPIRED);
        assertThat(key(3, NOW, NOW).status(NOW)).isEqualTo(EnrollmentKeyStatus.REVOKED);
    }
}
