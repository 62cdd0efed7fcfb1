package dev.beacon.store;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of an SQLite database, with group commit. SQLite lets one transaction write at a time,
 * and most of a small transaction's cost is the commit itself; so callers hand their transactions to
 * this writer, which runs everything queued in one SQLite transaction, each caller's work inside its
 * own SAVEPOINT (a failure rolls back only that caller's work), commits once, and only then answers
 * the callers. Under load this turns many commits into one; alone, a transaction commits at once.
 *
 * <p>Any thread may call {@link #submit}; it blocks until the work is committed (or has failed). The
 * writer runs on one platform thread of its own. Thread-safe.
 */
final class SqliteWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteWriter.class);
    /** Enough to amortize the commit, small enough that one batch never holds the lock for long. */
    private static final int MAX_BATCH = 256;
    /** Distinct statements kept prepared: the hot paths use a few dozen. */
    private static final int MAX_STATEMENTS = 128;

    private final Connection connection;
    /** The same connection with close() disabled, for the Jdbi handles of {@link Tx#handle()}. */
    private final Connection unclosable;
    /**
     * The connection plain-JDBC work ({@link Tx#connection()}) gets: {@code prepareStatement(sql)} reuses a
     * statement prepared earlier. sqlite-jdbc has no statement cache, and preparing was ~45% of this thread's CPU
     * time under job load (each job runs the same dozen statements); see docs/performance.md. A cached statement is
     * not reentrant: work must not run the same SQL again while a result set of it is still open.
     */
    private final Connection caching;
    /** SQL → its prepared statement on {@link #connection}, most recently used last; only touched on the writer thread. */
    private final Map<String, PreparedStatement> statements = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
            if (size() <= MAX_STATEMENTS) {
                return false;
            }
            closeQuietly(eldest.getValue());
            return true;
        }
    };
    private final BatchQueue batches;
    private final Database.Handles handles;

    SqliteWriter(Connection connection, Database.Handles handles) {
        this.connection = connection;
        this.handles = handles;
        this.unclosable = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> "close".equals(method.getName()) ? null : method.invoke(connection, args));
        this.caching = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> null;
                    case "prepareStatement" -> args.length == 1 ? cached((String) args[0]) : invoke(method, connection, args);
                    default -> invoke(method, connection, args);
                });
        this.batches = new BatchQueue("beacon-sqlite-writer", MAX_BATCH, this::runBatch);
    }

    /**
     * A prepared statement for {@code sql}, reused across transactions; closing what this returns only clears its
     * parameters. Writer thread only.
     */
    private PreparedStatement cached(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        }
        PreparedStatement target = statement;
        return (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
                (proxy, method, args) -> {
                    if ("close".equals(method.getName())) {
                        target.clearParameters();
                        return null;
                    }
                    return invoke(method, target, args);
                });
    }

    private PreparedStatement prepare(String sql) {
        try {
            return connection.prepareStatement(sql);
        } catch (SQLException e) {
            throw new Sql.DatabaseException(sql, e);
        }
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void closeQuietly(PreparedStatement statement) {
        try {
            statement.close();
        } catch (SQLException e) {
            log.debug("closing a cached statement failed", e);
        }
    }

    /** Runs {@code work} in the next batch and returns its result once committed; rethrows what it threw. */
    <T> T submit(Database.Work<T> work) {
        return batches.submit(work);
    }

    /**
     * Copies what is left of the WAL into the database and has the next commit start the log over, between two of the
     * writer's transactions ({@link SqliteSpace#restartBetweenWrites}). Returns false when a reader stayed inside the
     * log. Blocks until the writer has run it.
     */
    boolean restartWal() {
        restartsQueued.incrementAndGet(); // before the task is queued, so that the batch that holds it looks for it
        return batches.submit(RESTART_WAL);
    }

    /** How many {@link #restartWal} tasks are queued: batches look for them only while there are some. */
    private final AtomicInteger restartsQueued = new AtomicInteger();

    /** The work {@link #restartWal} queues: {@link #runBatch} runs it itself, outside the batch's transaction. */
    private static final Database.Work<Boolean> RESTART_WAL = tx -> {
        throw new IllegalStateException("the writer runs the WAL restart outside a transaction");
    };

    private void runBatch(List<BatchQueue.Task<?>> batch) {
        if (restartsQueued.get() > 0) {
            List<BatchQueue.Task<?>> restarts = batch.stream().filter(task -> task.work() == RESTART_WAL).toList();
            if (!restarts.isEmpty()) {
                restartsQueued.addAndGet(-restarts.size());
                batch.removeAll(restarts);
                if (!batch.isEmpty()) {
                    runBatch(batch);
                }
                restarts.forEach(this::runRestart);
                return;
            }
        }
        if (batch.size() == 1) {
            runAlone(batch.getFirst());
            return;
        }
        List<Runnable> completions = new ArrayList<>(batch.size());
        try {
            control("BEGIN IMMEDIATE");
            for (BatchQueue.Task<?> task : batch) {
                completions.add(runInSavepoint(task));
            }
            control("COMMIT");
        } catch (SQLException | RuntimeException e) {
            log.warn("a batch of {} write transactions failed to commit; all are rolled back", batch.size(), e);
            rollbackQuietly();
            for (BatchQueue.Task<?> task : batch) {
                task.result().completeExceptionally(e);
            }
            return;
        }
        // Answer only after the commit: a caller that sees its result may rely on it being durable.
        completions.forEach(Runnable::run);
    }

    /**
     * A batch of one (the writer was idle when it came: most batches below saturation) needs no savepoint: the
     * transaction is the task's alone, so a failure rolls the whole of it back. Saves two statements per write.
     */
    private <T> void runAlone(BatchQueue.Task<T> task) {
        T value;
        try {
            control("BEGIN IMMEDIATE");
        } catch (SQLException e) {
            task.result().completeExceptionally(e);
            return;
        }
        try {
            value = new Tx(caching, unclosable, handles).run(task.work());
        } catch (Throwable failure) {
            rollbackQuietly();
            task.result().completeExceptionally(failure);
            return;
        }
        try {
            control("COMMIT");
        } catch (SQLException | RuntimeException e) {
            log.warn("a write transaction failed to commit; it is rolled back", e);
            rollbackQuietly();
            task.result().completeExceptionally(e);
            return;
        }
        task.result().complete(value); // only after the commit, as for a batch
    }

    @SuppressWarnings("unchecked")
    private void runRestart(BatchQueue.Task<?> task) {
        try (Statement statement = connection.createStatement()) {
            ((BatchQueue.Task<Boolean>) task).result().complete(SqliteSpace.restartBetweenWrites(statement));
        } catch (SQLException | RuntimeException e) {
            task.result().completeExceptionally(e);
        }
    }

    /** Runs one of the writer's own transaction-control statements, prepared once. */
    private void control(String sql) throws SQLException {
        statements.computeIfAbsent(sql, this::prepare).execute();
    }

    private <T> Runnable runInSavepoint(BatchQueue.Task<T> task) throws SQLException {
        control("SAVEPOINT work");
        Tx tx = new Tx(caching, unclosable, handles);
        try {
            T value = tx.run(task.work());
            control("RELEASE work");
            return () -> task.result().complete(value);
        } catch (Throwable failure) {
            control("ROLLBACK TO work");
            control("RELEASE work");
            return () -> task.result().completeExceptionally(failure);
        }
    }

    private void rollbackQuietly() {
        try (Statement statement = connection.createStatement()) {
            statement.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // nothing was open, or the connection is gone: either way nothing is left to undo
        }
    }

    @Override
    public void close() {
        batches.close();
        statements.values().forEach(SqliteWriter::closeQuietly);
        statements.clear();
        try {
            connection.close();
        } catch (SQLException e) {
            log.debug("closing the SQLite writer connection failed", e);
        }
    }
}
