package dev.beacon.retention;

/** The kinds of history the {@link Pruner} prunes, each with its name in metrics and logs. Immutable. */
public enum Kind {
    JOBS("jobs", "jobs"),
    JOB_OUTPUT("job_output", "jobs"),
    AUDIT("audit", "audit_events"),
    CONNECTIONS("connections", "robot_connections"),
    ROBOT_TOKENS("robot_tokens", "robot_tokens"),
    ENROLLMENT_KEYS("enrollment_keys", "enrollment_keys");

    private final String tag;
    private final String table;

    Kind(String tag, String table) {
        this.tag = tag;
        this.table = table;
    }

    /** The table its rows are in. */
    String table() {
        return table;
    }

    /** The {@code kind} tag of {@code beacon_retention_pruned_total}. */
    public String tag() {
        return tag;
    }

    /** How long {@code settings} keeps this kind; zero: for ever. */
    public java.time.Duration keptFor(RetentionSettings settings) {
        return switch (this) {
            case JOBS -> settings.jobs();
            case JOB_OUTPUT -> settings.jobOutput();
            case AUDIT -> settings.audit();
            case CONNECTIONS -> settings.connections();
            case ROBOT_TOKENS -> settings.robotTokens();
            case ENROLLMENT_KEYS -> settings.enrollmentKeys();
        };
    }
}
