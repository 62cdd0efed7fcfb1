package dev.beacon.agent;

/**
 * The server refused this robot's token (revoked, rotated away, or the robot removed): retrying cannot help,
 * so the exit code is 3. Immutable.
 */
public class TokenRefusedException extends AgentException {
    /** Exit code that tells a supervisor not to restart the agent blindly. */
    public static final int EXIT_CODE = 3;

    TokenRefusedException(String oneLine) {
        super(oneLine, EXIT_CODE, null);
    }
}
