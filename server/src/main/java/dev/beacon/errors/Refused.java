package dev.beacon.errors;

/**
 * The caller may not do this: either it presented no valid credential ({@link Grounds#CREDENTIALS}), or its valid
 * credential does not allow the action ({@link Grounds#PERMISSION}). Immutable.
 */
public final class Refused extends DomainException {
    /** On what grounds the caller was refused. */
    public enum Grounds {
        /** No credential, or one that is unknown, malformed, revoked or spent: who is asking is not established. */
        CREDENTIALS,
        /** Who is asking is established, but they may not do this (scope, role, source address). */
        PERMISSION
    }

    private final Grounds grounds;

    public Refused(Grounds grounds, String code, String detail) {
        super(code, detail);
        this.grounds = grounds;
    }

    /** Code {@code unauthorized}: no valid credential. */
    public static Refused credentials(String detail) {
        return new Refused(Grounds.CREDENTIALS, "unauthorized", detail);
    }

    /** Code {@code forbidden}: the credential does not allow this. */
    public static Refused permission(String detail) {
        return new Refused(Grounds.PERMISSION, "forbidden", detail);
    }

    public Grounds grounds() {
        return grounds;
    }
}
