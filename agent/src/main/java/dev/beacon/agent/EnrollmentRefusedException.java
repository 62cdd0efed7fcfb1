package dev.beacon.agent;

/**
 * The server answered the enrollment request and said no (or the key was refused locally before sending),
 * with the stable problem {@link #code()}. Immutable.
 */
public class EnrollmentRefusedException extends AgentException {
    private final String code;
    private final int httpStatus;

    EnrollmentRefusedException(String code, int httpStatus, String oneLine) {
        super(oneLine, 1, null);
        this.code = code;
        this.httpStatus = httpStatus;
    }

    /** The problem code, e.g. {@code enrollment_key_expired}; {@code enrollment_key_malformed} for local rejections. */
    public String code() {
        return code;
    }

    /** The HTTP status the server answered, or 0 when the key never left this machine. */
    public int httpStatus() {
        return httpStatus;
    }
}
