package dev.beacon.errors;

/**
 * The request is valid, but the current state forbids it: a name already taken, a robot that is offline, a rotation
 * already pending. Retrying may work once the state changes. Immutable.
 */
public final class Conflict extends DomainException {
    /** {@code code} says which conflict, e.g. {@code robot_name_taken}; plain {@code conflict} when nothing more precise fits. */
    public Conflict(String code, String detail) {
        super(code, detail);
    }
}
