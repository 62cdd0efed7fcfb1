package dev.beacon.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for PostgreSQL transactions that all write one hot row, such as enrollment claims on one key:
 * each such transaction holds the row's lock until its commit, so racing claims queue behind one another's
 * commit (one WAL flush each). Here they are run one after another in one transaction on a pooled connection,
 * each in its own savepoint (a failure rolls back only that caller's work), committed once, and only then
 * answered. Under load many flushes become one; alone, a transaction commits at once. Work submitted
 * {@linkplain #submitWithoutSavepoint without a savepoint} skips the savepoint's two round trips: it has nothing to undo
 * when it throws, and when one of its statements fails (which aborts the whole transaction) the batch is rolled back
 * and each of its writes runs again alone. Any thread may call
 * {@link #submit}; the batches run on one platform thread of their own ({@link BatchQueue}). Thread-safe.
 */
final class PostgresGroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresGroupCommit.class);
    /** Enough to amortize the flush, small enough that one batch never holds the row for long. */
    private static final int MAX_BATCH = 64;

    private final DataSource dataSource;
    private final BatchQueue batches;
    private final Database.Handles handles;

    PostgresGroupCommit(DataSource dataSource, Database.Handles handles) {
        this.dataSource = dataSource;
        this.handles = handles;
        this.batches = new BatchQueue("beacon-pg-group-commit", MAX_BATCH, this::runBatch);
    }

    /** Runs {@code work} in the next batch and returns its result once committed; rethrows what it threw. */
    <T> T submit(Database.Work<T> work) {
        return batches.submit(work);
    }

    /**
     * Like {@link #submit}, for work that writes nothing before it throws (other than by a failing statement), so it
     * needs no savepoint of its own: see {@link Database.Commit#GROUPED_WITHOUT_SAVEPOINT}.
     */
    <T> T submitWithoutSavepoint(Database.Work<T> work) {
        return batches.submit(new Unsaved<>(work));
    }

    /** Work that runs in a batch without a savepoint of its own. */
    private record Unsaved<T>(Database.Work<T> work) implements Database.Work<T> {
        @Override
        public T run(Tx tx) throws SQLException {
            return work.run(tx);
        }
    }

    private void runBatch(List<BatchQueue.Task<?>> batch) {
        List<Runnable> completions = new ArrayList<>(batch.size());
        boolean usesRefused = false;
        boolean aborted = false;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Map<String, Pending> uses = new LinkedHashMap<>();
                for (BatchQueue.Task<?> task : batch) {
                    completions.add(task.work() instanceof Unsaved<?> ? runUnsaved(connection, task, uses)
                            : runInSavepoint(connection, task, uses));
                    if (isAborted(connection)) {
                        aborted = true; // a statement of unsaved work failed: nothing more can run in this transaction
                        break;
                    }
                }
                usesRefused = !aborted && !takeUses(connection, uses);
                if (usesRefused || aborted) {
                    connection.rollback();
                } else {
                    connection.commit();
                }
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection);
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("a batch of {} write transactions failed to commit; all are rolled back", batch.size(), e);
            for (BatchQueue.Task<?> task : batch) {
                task.result().completeExceptionally(e);
            }
            return;
        }
        if (usesRefused || aborted) {
            // Fewer uses were left than the batch wanted: each write runs again on its own, taking its use at once,
            // so those that still find one succeed and the others are refused as they would have been alone.
            batch.forEach(this::runAlone);
            return;
        }
        // Answer only after the commit: a caller that sees its result may rely on it being durable.
        completions.forEach(Runnable::run);
    }

    /** The uses deferred on one row by the writes of a batch: the first write's statement, and how many. */
    private static final class Pending {
        final Tx.Uses uses;
        int count;

        Pending(Tx.Uses uses) {
            this.uses = uses;
        }
    }

    /** Takes every row's deferred uses, one statement per row; false as soon as a row has too few left. */
    private static boolean takeUses(Connection connection, Map<String, Pending> uses) {
        for (Pending pending : uses.values()) {
            if (!pending.uses.take(connection, pending.count)) {
                return false;
            }
        }
        return true;
    }

    private <T> Runnable runInSavepoint(Connection connection, BatchQueue.Task<T> task, Map<String, Pending> uses) throws SQLException {
        Savepoint savepoint = connection.setSavepoint();
        Tx tx = new Tx(connection, connection, handles, true);
        try {
            T value = tx.run(task.work());
            connection.releaseSavepoint(savepoint);
            tx.deferredUses().forEach((row, use) -> uses.computeIfAbsent(row, r -> new Pending(use)).count++);
            return () -> task.result().complete(value);
        } catch (SQLException | RuntimeException | Error e) {
            connection.rollback(savepoint);
            return () -> task.result().completeExceptionally(e);
        }
    }

    /** Runs work that needs no savepoint: when it throws it has written nothing, or its failed statement aborted the batch. */
    private <T> Runnable runUnsaved(Connection connection, BatchQueue.Task<T> task, Map<String, Pending> uses) throws SQLException {
        Tx tx = new Tx(connection, connection, handles, true);
        try {
            T value = tx.run(task.work());
            tx.deferredUses().forEach((row, use) -> uses.computeIfAbsent(row, r -> new Pending(use)).count++);
            return () -> task.result().complete(value);
        } catch (SQLException | RuntimeException | Error e) {
            return () -> task.result().completeExceptionally(e);
        }
    }

    /** Whether a statement failed in the connection's transaction, so that it can only be rolled back. */
    private static boolean isAborted(Connection connection) throws SQLException {
        return connection.unwrap(BaseConnection.class).getTransactionState() == TransactionState.FAILED;
    }

    /** Runs one write in a transaction of its own, its uses taken at once, and answers it. */
    private <T> void runAlone(BatchQueue.Task<T> task) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            Tx tx = new Tx(connection, connection, handles);
            try {
                T value = tx.run(task.work());
                connection.commit();
                task.result().complete(value);
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(connection);
                task.result().completeExceptionally(e);
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            task.result().completeExceptionally(e);
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            log.debug("rollback after a failed batch failed too", e);
        }
    }

    @Override
    public void close() {
        batches.close();
    }
}
