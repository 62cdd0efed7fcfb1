package dev.beacon.enrollment;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * Whether an enrollment key can enroll a robot, as the API shows it. Not stored: it follows from the key's
 * revocation, expiry and uses at a moment ({@link EnrollmentKey#status}).
 */
public enum EnrollmentKeyStatus {
    ACTIVE("active"),
    EXPIRED("expired"),
    EXHAUSTED("exhausted"),
    REVOKED("revoked");

    private final String wireName;

    EnrollmentKeyStatus(String wireName) {
        this.wireName = wireName;
    }

    /** The name in JSON. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The status with this wire name, or empty for anything else. */
    public static Optional<EnrollmentKeyStatus> fromWire(String wireName) {
        for (EnrollmentKeyStatus status : values()) {
            if (status.wireName.equals(wireName)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
