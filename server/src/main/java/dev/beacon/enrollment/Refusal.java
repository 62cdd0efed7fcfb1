package dev.beacon.enrollment;

/** Why a claim was refused: each reason has its stable code and HTTP status. */
public enum Refusal {
    MALFORMED(400, "enrollment_key_malformed"),
    UNKNOWN(401, "enrollment_key_unknown"),
    REVOKED(401, "enrollment_key_revoked"),
    EXPIRED(401, "enrollment_key_expired"),
    EXHAUSTED(401, "enrollment_key_exhausted"),
    SOURCE_NOT_ALLOWED(403, "enrollment_source_not_allowed"),
    NAME_TAKEN(409, "robot_name_taken");

    private final int status;
    private final String code;

    Refusal(int status, String code) {
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
