package dev.beacon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * Plain JDBC for the few statements on hot paths (an enrollment claim runs five of them), where Jdbi's
 * per-statement set-up costs more than the statement itself on SQLite; see docs/performance.md.
 * Parameters are bound by position; {@code null} binds SQL NULL. Stateless.
 */
public final class Sql {
    private Sql() {
    }

    /** Maps the current row of a result set. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Runs an INSERT, UPDATE or DELETE and returns the rows changed. */
    public static int update(Connection connection, String sql, Object... params) {
        try (PreparedStatement statement = prepare(connection, sql, params)) {
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new DatabaseException(sql, e);
        }
    }

    /** Runs a query and maps its first row, or returns null when there is none. */
    public static <T> T first(Connection connection, String sql, RowMapper<T> mapper, Object... params) {
        try (PreparedStatement statement = prepare(connection, sql, params); ResultSet rs = statement.executeQuery()) {
            return rs.next() ? mapper.map(rs) : null;
        } catch (SQLException e) {
            throw new DatabaseException(sql, e);
        }
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... params) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < params.length; i++) {
                Object param = params[i];
                if (param == null) {
                    statement.setNull(i + 1, Types.NULL);
                } else if (param instanceof Long number) {
                    statement.setLong(i + 1, number);
                } else if (param instanceof Integer number) {
                    statement.setInt(i + 1, number);
                } else {
                    statement.setString(i + 1, param.toString());
                }
            }
            return statement;
        } catch (SQLException e) {
            statement.close();
            throw e;
        }
    }

    /** A failed statement, with its SQL (never its parameters, which may hold hashes of secrets). */
    public static final class DatabaseException extends RuntimeException {
        DatabaseException(String sql, SQLException cause) {
            super("SQL failed: " + sql.replaceAll("\\s+", " ").strip(), cause);
        }
    }

    /** Waits for work handed to a writer thread and returns its result, rethrowing what the work threw. */
    static <T> T await(java.util.concurrent.CompletableFuture<T> result) {
        try {
            return result.join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new DatabaseException("(transaction)", cause instanceof SQLException sql ? sql : new SQLException(cause));
        }
    }
}
