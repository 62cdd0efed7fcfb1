package dev.beacon.errors;

/**
 * A value in the request is wrong: either malformed in itself, or well-formed but contradicting what is stored (it
 * names a site that does not exist, a fleet of another site). Names the offending field when there is one. Immutable.
 */
public final class Invalid extends DomainException {
    private final String field;
    private final boolean contradictsStored;

    private Invalid(String code, String field, String detail, boolean contradictsStored) {
        super(code, detail);
        this.field = field;
        this.contradictsStored = contradictsStored;
    }

    /** Code {@code validation_failed}: {@code field} (or null) is malformed. */
    public static Invalid field(String field, String detail) {
        return new Invalid("validation_failed", field, detail, false);
    }

    /** Code {@code validation_failed}: {@code field} is well-formed but names something missing or mismatched. */
    public static Invalid reference(String field, String detail) {
        return new Invalid("validation_failed", field, detail, true);
    }

    /** A well-formed {@code field} that contradicts what is stored, with its own code (422), e.g. {@code idempotency_key_reused}. */
    public static Invalid contradicting(String code, String field, String detail) {
        return new Invalid(code, field, detail, true);
    }

    /** A malformed value with its own code (no field), e.g. {@code enrollment_key_malformed}. */
    public static Invalid coded(String code, String detail) {
        return new Invalid(code, null, detail, false);
    }

    /** The request field at fault, or null. */
    public String field() {
        return field;
    }

    /** Whether the value is well-formed but inconsistent with what is stored (rather than malformed). */
    public boolean contradictsStored() {
        return contradictsStored;
    }
}
