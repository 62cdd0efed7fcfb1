package dev.beacon.cli.ops;

/**
 * A refusal or failure of an operator command: the one line to print ({@code error: <detail> (<code>)}) and the exit
 * code. Immutable.
 */
final class OpsException extends RuntimeException {
    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int AUTH = 4;

    private final String code;
    private final int exitCode;

    OpsException(String detail, String code, int exitCode) {
        super(detail);
        this.code = code;
        this.exitCode = exitCode;
    }

    static OpsException usage(String detail) {
        return new OpsException(detail, "usage", USAGE);
    }

    /** The stable code in parentheses: the server's problem {@code code}, or the CLI's own. */
    String code() {
        return code;
    }

    int exitCode() {
        return exitCode;
    }

    /** {@code error: <detail> (<code>)}. */
    String line() {
        return "error: " + getMessage() + " (" + code + ")";
    }
}
