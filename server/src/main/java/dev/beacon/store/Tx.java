package dev.beacon.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.Update;

/**
 * The one connection a {@link Database#read} or {@link Database#write} callback works on: in autocommit for a
 * read, inside the write's transaction for a write. Plain JDBC through {@link #connection()} (with {@link Sql}) is
 * the fast way and what hot paths use; Jdbi through {@link #createQuery}, {@link #createUpdate} or {@link #handle()}
 * reads better and costs a handle (Jdbi copies its configuration per handle and statement), which is opened on
 * first use only. Valid only inside the callback; not thread-safe.
 */
public final class Tx {
    private final Connection connection;
    private final Connection forJdbi;
    private final Database.Handles handles;
    /** Uses deferred to the end of a group-commit batch ({@link #takeLast}), by row; null when they are taken at once. */
    private final Map<String, Uses> deferred;
    private Handle handle;

    Tx(Connection connection, Connection forJdbi, Database.Handles handles) {
        this(connection, forJdbi, handles, false);
    }

    /** {@code deferUses}: inside a group-commit batch, where {@link #takeLast} leaves the uses to the batch's end. */
    Tx(Connection connection, Connection forJdbi, Database.Handles handles, boolean deferUses) {
        this.connection = connection;
        this.forJdbi = forJdbi;
        this.handles = handles;
        this.deferred = deferUses ? new LinkedHashMap<>() : null;
    }

    /** Takes {@code count} uses of one hot row in one statement on {@code connection}; false when fewer are left. */
    @FunctionalInterface
    public interface Uses {
        boolean take(Connection connection, int count);
    }

    /**
     * Takes one use of a hot row that every write of its kind updates (an enrollment key's {@code uses}) as the last
     * step of this write; {@code row} names the row. On PostgreSQL the update locks the row until commit, so in a
     * group-commit batch ({@link Database.Commit#GROUPED}) the uses of all the batch's writes on one row are taken
     * together by one call just before the batch commits — the row is locked for the commit only, not for the whole
     * batch, and other nodes' batches on the same row wait that much less. There this returns true at once; if the
     * batch's call then finds too few uses left, the batch is rolled back and every write in it runs again alone,
     * where this takes the use at once and returns what {@code uses} returns. Call it last: nothing after it may depend
     * on the use having been taken.
     */
    public boolean takeLast(String row, Uses uses) {
        if (deferred == null) {
            return uses.take(connection, 1);
        }
        deferred.putIfAbsent(row, uses);
        return true;
    }

    /** The uses this write deferred ({@link #takeLast}), by row, one each; empty unless deferring. */
    Map<String, Uses> deferredUses() {
        return deferred == null ? Map.of() : deferred;
    }

    /** The connection itself, for plain JDBC; never close it, commit or roll back on it. */
    public Connection connection() {
        return connection;
    }

    /** A Jdbi handle on the same connection and in the same transaction, opened on first use. */
    public Handle handle() {
        if (handle == null) {
            handle = handles.open(forJdbi);
        }
        return handle;
    }

    /** Jdbi's {@link Handle#createQuery} on this connection. */
    public Query createQuery(String sql) {
        return handle().createQuery(sql);
    }

    /** Jdbi's {@link Handle#createUpdate} on this connection. */
    public Update createUpdate(String sql) {
        return handle().createUpdate(sql);
    }

    /** Jdbi's {@link Handle#prepareBatch} on this connection. */
    public PreparedBatch prepareBatch(String sql) {
        return handle().prepareBatch(sql);
    }

    /** Jdbi's {@link Handle#execute}: one statement with positional arguments; returns the rows changed. */
    public int execute(String sql, Object... args) {
        return handle().execute(sql, args);
    }

    /** Runs {@code work} on this connection, then closes the Jdbi handle it may have opened; rethrows what it threw. */
    <T> T run(Database.Work<T> work) throws SQLException {
        try {
            return work.run(this);
        } finally {
            close();
        }
    }

    /** Closes the Jdbi handle if one was opened (its statements); the connection stays with its owner. */
    void close() {
        if (handle != null) {
            handle.close();
            handle = null;
        }
    }
}
