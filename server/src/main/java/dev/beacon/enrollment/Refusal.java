package dev.beacon.enrollment;

import dev.beacon.errors.Conflict;
import dev.beacon.errors.DomainException;
import dev.beacon.errors.Invalid;
import dev.beacon.errors.Refused;

/** Why a claim was refused: each reason has its stable code and the kind of domain error it is reported as. */
public enum Refusal {
    MALFORMED("enrollment_key_malformed"),
    UNKNOWN("enrollment_key_unknown"),
    REVOKED("enrollment_key_revoked"),
    EXPIRED("enrollment_key_expired"),
    EXHAUSTED("enrollment_key_exhausted"),
    SOURCE_NOT_ALLOWED("enrollment_source_not_allowed"),
    NAME_TAKEN("robot_name_taken");

    private final String code;

    Refusal(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    /**
     * The domain error reporting this refusal with {@code detail}: a mistyped key is invalid input; a key that is unknown
     * or no longer usable is a bad credential; a usable key from the wrong network lacks permission; a taken name is a
     * conflict.
     */
    public DomainException error(String detail) {
        return switch (this) {
            case MALFORMED -> Invalid.coded(code, detail);
            case UNKNOWN, REVOKED, EXPIRED, EXHAUSTED -> new Refused(Refused.Grounds.CREDENTIALS, code, detail);
            case SOURCE_NOT_ALLOWED -> new Refused(Refused.Grounds.PERMISSION, code, detail);
            case NAME_TAKEN -> new Conflict(code, detail);
        };
    }
}
