package dev.beacon.protocol;

/**
 * A text frame that is not a well-formed frame of the protocol. {@link #code} and {@link #detail} are what a server
 * answers with in an {@code error} frame. Immutable; carries no stack trace (it is expected input, not a bug).
 */
public final class FrameException extends Exception {
    private final String code;
    private final String detail;

    public FrameException(String code, String detail) {
        super(code + ": " + detail, null, false, false);
        this.code = code;
        this.detail = detail;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return detail;
    }

    /** The {@code error} frame that reports this problem. */
    public Frame.Error toFrame() {
        return new Frame.Error(code, detail);
    }
}
