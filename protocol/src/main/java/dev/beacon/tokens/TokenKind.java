package dev.beacon.tokens;

/** The kinds of secret Beacon mints, each with the prefix that makes it recognisable in a leak scan. */
public enum TokenKind {
    ENROLLMENT("rf_enroll"),
    ROBOT("rf_robot"),
    API_KEY("rf_api");

    private final String prefix;

    TokenKind(String prefix) {
        this.prefix = prefix;
    }

    /** The prefix without the trailing underscore, e.g. {@code rf_enroll}. */
    public String prefix() {
        return prefix;
    }
}
