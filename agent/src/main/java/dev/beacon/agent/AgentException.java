package dev.beacon.agent;

/**
 * A failure the agent reports to its user as one line ({@link #getMessage()}) and a process exit code.
 * Subclasses say what failed. Immutable, so safe to pass between threads.
 */
public class AgentException extends RuntimeException {
    private final int exitCode;

    /** A failure with exit code 1. */
    public AgentException(String oneLine) {
        this(oneLine, 1, null);
    }

    protected AgentException(String oneLine, int exitCode, Throwable cause) {
        super(oneLine, cause);
        this.exitCode = exitCode;
    }

    /** The process exit code for this failure: 1 in general, 3 when the server refused this robot's token. */
    public int exitCode() {
        return exitCode;
    }
}
