package dev.beacon.errors;

/** The thing asked for (by id, within the caller's organization) does not exist; code {@code not_found}. Immutable. */
public final class NotFound extends DomainException {
    /** {@code what} names the kind of thing, e.g. "robot" or "enrollment key". */
    public NotFound(String what) {
        super("not_found", "No " + what + " with that id in this organization.");
    }
}
