package dev.beacon.store;

/** The two databases Beacon runs on; the few SQL differences between them are decided here. */
public enum Dialect {
    SQLITE,
    POSTGRESQL;

    /** Picks the dialect from a JDBC URL. */
    public static Dialect of(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported database URL (use jdbc:postgresql://… or leave it unset for SQLite): "
                + jdbcUrl.replaceAll("password=[^&]*", "password=***"));
    }
}
