package dev.beacon.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Column readers shared by every store: timestamps are stored as epoch milliseconds, nullable. */
public final class Rows {
    private Rows() {
    }

    /** The column as an Instant, or null when SQL NULL. */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    /** Epoch millis of {@code instant}, or null. */
    public static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }
}
