package dev.beacon.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.BooleanSupplier;

/**
 * How an SQLite database gives the space of deleted rows back to the file system. SQLite keeps freed pages in the
 * file for reuse; with {@code auto_vacuum = INCREMENTAL} (set on every new Beacon database) a
 * {@code PRAGMA incremental_vacuum} moves them to the end and truncates the file. {@link #reclaim} does that in
 * small steps through the database's one writer, so any thread may call it beside the server's work; the server
 * runs it every few minutes. The write-ahead log is kept small by {@link #checkpoint}. Stateless.
 */
public final class SqliteSpace {
    /**
     * The WAL size beyond which {@link #checkpoint} has the log started over: 16 MiB, a second or so of the
     * busiest job load.
     */
    static final long REWIND_PAST_BYTES = 16L << 20;

    /**
     * The size a WAL that was started over is cut back to ({@code journal_size_limit}) when it had grown larger: 64 MiB,
     * more than a busy second writes. Cutting the file back is an {@code ftruncate} on the writer thread, in the commit
     * after the rewind, which took 7–32 ms under sustained enrollment: under this size the file is reused instead.
     */
    static final long WAL_KEPT_BYTES = 64L << 20;

    /**
     * How long a {@code RESTART} checkpoint from a reader's connection waits for readers still inside the WAL, in
     * milliseconds. Writers wait while it does, so it is short: a long reader (a backup, an export) makes it give up and
     * try again a second later, rather than holding every write for the connection's 10-second busy timeout.
     */
    static final int RESTART_WAIT_MILLIS = 50;
    /**
     * How long the writer's own rewind ({@link #restartBetweenWrites}) waits for readers that were inside the WAL when
     * it finished copying: they are one query each, and readers that start after it read the database file.
     */
    static final int WRITER_RESTART_WAIT_MILLIS = 5;
    /** How long a statement waits for a lock another connection holds before it fails with SQLITE_BUSY. */
    static final int BUSY_TIMEOUT_MILLIS = 10_000;

    /**
     * One checkpoint of SQLite database {@code db}: copies the committed WAL into the database file ({@link #passive}),
     * and once the log holds more than {@link #REWIND_PAST_BYTES} has it started over, by the writer thread between two
     * of its transactions ({@code restartByWriter}, {@link #restartBetweenWrites}) or, when a reader stayed inside the
     * log, from a pooled connection that waits a little longer for it, holding the write lock meanwhile
     * ({@link #restartWaitingForReaders}).
     */
    static void checkpoint(Database db, BooleanSupplier restartByWriter) {
        if (db.read(tx -> {
            try (Statement statement = tx.connection().createStatement()) {
                return passive(statement);
            }
        }) <= REWIND_PAST_BYTES || restartByWriter.getAsBoolean()) {
            return;
        }
        db.read(tx -> {
            try (Statement statement = tx.connection().createStatement()) {
                return restartWaitingForReaders(statement);
            }
        });
    }

    /**
     * Copies the committed WAL into the database file without blocking anyone ({@code PASSIVE}) and returns the size of
     * the log in bytes. Past {@link #REWIND_PAST_BYTES} the log is to be started over ({@link #restartBetweenWrites},
     * else {@link #restartWaitingForReaders}): a passive checkpoint alone copies the pages but never rewinds the log
     * while some reader is always inside it, which under a steady load is always: the file then grew by some 30 MB a
     * second at 1,200 jobs a second, for ever.
     */
    static long passive(Statement statement) throws SQLException {
        long frames;
        try (ResultSet result = statement.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            frames = result.next() ? result.getLong(2) : 0;     // busy, frames in the log, frames copied
        }
        return frames * pragma(statement, "page_size");
    }

    /**
     * On the writer's connection, between two of its transactions: copies what the last passive checkpoint left and
     * arranges that the next commit starts the log over ({@code RESTART}), waiting at most
     * {@link #WRITER_RESTART_WAIT_MILLIS} for the readers still inside the log. Returns whether it will be started over.
     * Writes queue behind the writer thread meanwhile, as behind any transaction; a {@code RESTART} from another
     * connection ({@link #restartWaitingForReaders}) holds the write lock while it waits instead, and the writer with it.
     */
    static boolean restartBetweenWrites(Statement statement) throws SQLException {
        return restart(statement, WRITER_RESTART_WAIT_MILLIS);
    }

    /**
     * {@code RESTART} from a reader's connection: waits up to {@link #RESTART_WAIT_MILLIS} for the readers still reading
     * the log to finish (writers wait meanwhile, readers do not) so that the next commit starts it over. The fallback
     * when {@link #restartBetweenWrites} found a reader that stayed inside the log. Returns whether the WAL was rewound.
     */
    static boolean restartWaitingForReaders(Statement statement) throws SQLException {
        return restart(statement, RESTART_WAIT_MILLIS);
    }

    private static boolean restart(Statement statement, int waitMillis) throws SQLException {
        statement.execute("PRAGMA busy_timeout = " + waitMillis);
        try (ResultSet result = statement.executeQuery("PRAGMA wal_checkpoint(RESTART)")) {
            return result.next() && result.getInt(1) == 0;
        } finally {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
        }
    }
    /** {@code PRAGMA auto_vacuum}'s value for INCREMENTAL. */
    public static final int INCREMENTAL = 2;

    private SqliteSpace() {
    }

    /**
     * Makes a database that has no table yet incremental, before the first migration creates one: auto_vacuum can
     * only change while a database is empty (later it takes a full {@code VACUUM}, see {@link #compact}). Does
     * nothing to a database that has tables. Runs on a connection of its own, before the pool opens.
     */
    static void makeNewDatabaseIncremental(String jdbcUrl) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = 10000");
            try (ResultSet tables = statement.executeQuery("SELECT count(*) FROM sqlite_master")) {
                if (tables.next() && tables.getLong(1) > 0) {
                    return;
                }
            }
            if (autoVacuum(statement) == INCREMENTAL) {
                return;
            }
            // The pragma alone is lost when this connection did not write the file's first page; a VACUUM of the
            // empty database writes a header with the mode in it, at no cost.
            statement.execute("PRAGMA auto_vacuum = INCREMENTAL");
            statement.execute("VACUUM");
        }
    }

    /** The database's {@code auto_vacuum} mode: 0 none, 1 full, 2 incremental. */
    public static int autoVacuum(Statement statement) throws SQLException {
        try (ResultSet mode = statement.executeQuery("PRAGMA auto_vacuum")) {
            return mode.next() ? mode.getInt(1) : 0;
        }
    }

    /** The database's {@code auto_vacuum} mode (0 none, 1 full, 2 incremental); 0 on PostgreSQL. */
    public static int autoVacuum(Database db) {
        if (db.dialect() != Dialect.SQLITE) {
            return 0;
        }
        return db.read(tx -> {
            try (Statement statement = tx.connection().createStatement()) {
                return autoVacuum(statement);
            }
        });
    }

    /**
     * Gives up to {@code steps × pagesPerStep} free pages back to the file system, each step a write of its own so
     * that other writes run between them; stops early once no free page is left. Returns the pages freed. Does
     * nothing (and returns 0) on PostgreSQL or on an SQLite database that is not incremental.
     */
    public static long reclaim(Database db, int pagesPerStep, int steps) {
        if (pagesPerStep < 1 || steps < 1) {
            throw new IllegalArgumentException("pagesPerStep and steps must be at least 1 (got " + pagesPerStep + ", " + steps + ")");
        }
        if (autoVacuum(db) != INCREMENTAL) {
            return 0;
        }
        long freed = 0;
        for (int step = 0; step < steps; step++) {
            long now = db.write(tx -> incrementalVacuum(tx.connection(), pagesPerStep));
            freed += now;
            if (now < pagesPerStep) {
                break;
            }
        }
        return freed;
    }

    /**
     * Gives up to {@code pages} free pages back and returns how many it gave. The pragma frees one page per step of
     * its statement, and sqlite-jdbc steps a statement that has no result columns only once: hence one statement per
     * page, each closed at once (one left mid-way would keep the writer's savepoint from being released).
     */
    static long incrementalVacuum(Connection connection, long pages) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            long before = pragma(statement, "freelist_count");
            for (long page = 0; page < Math.min(before, pages); page++) {
                try (Statement onePage = connection.createStatement()) {
                    onePage.execute("PRAGMA incremental_vacuum(1)");
                }
            }
            return before - pragma(statement, "freelist_count");
        }
    }

    /** What {@link #compact} did: the database's size before and after, and whether it switched it to incremental. */
    public record Compacted(long bytesBefore, long bytesAfter, boolean switched) {
    }

    /**
     * Rewrites the SQLite database at {@code jdbcUrl} with a full {@code VACUUM}, incremental from then on: all free
     * pages go back to the disk. The VACUUM needs free space for a copy of the file and holds the write lock
     * throughout; then the WAL is truncated. The caller makes sure no server runs on it.
     */
    public static Compacted compact(String jdbcUrl) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = 10000");
            long before = fileBytes(statement);
            boolean switching = autoVacuum(statement) != INCREMENTAL;
            statement.execute("PRAGMA auto_vacuum = INCREMENTAL");
            statement.execute("VACUUM");
            statement.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            return new Compacted(before, fileBytes(statement), switching);
        }
    }

    /** page_count × page_size: the size of the database (the file once the WAL is checkpointed). */
    static long fileBytes(Statement statement) throws SQLException {
        return pragma(statement, "page_count") * pragma(statement, "page_size");
    }

    static long pragma(Statement statement, String name) throws SQLException {
        try (ResultSet value = statement.executeQuery("PRAGMA " + name)) {
            return value.next() ? value.getLong(1) : 0;
        }
    }
}
