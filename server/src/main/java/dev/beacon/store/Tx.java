package dev.beacon.store;

import java.sql.Connection;
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
    private Handle handle;

    Tx(Connection connection, Connection forJdbi, Database.Handles handles) {
        this.connection = connection;
        this.forJdbi = forJdbi;
        this.handles = handles;
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

    /** Closes the Jdbi handle if one was opened (its statements); the connection stays with its owner. */
    void close() {
        if (handle != null) {
            handle.close();
            handle = null;
        }
    }
}
