package dev.beacon.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.DriverManager;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * The connection pool, migrations and transactions for either SQLite or PostgreSQL. Thread-safe.
 *
 * <p>One way to run each: {@link #read} for queries, {@link #write} for anything that changes the database. Both
 * hand the callback a {@link Tx}, one connection to use with plain JDBC ({@link Tx#connection()} with {@link Sql},
 * what hot paths use) or Jdbi ({@link Tx#createQuery}, opened on first use). A write commits as one transaction;
 * {@link Commit} names the two cheaper ways PostgreSQL can commit it (one statement in autocommit, or grouped with
 * other writes to one hot row), which make no difference on SQLite.
 *
 * <p>SQLite allows one writer at a time. Rather than let racing writers collide inside SQLite (where a
 * deferred transaction that upgrades to a write lock fails with SQLITE_BUSY instead of waiting), every
 * write transaction on SQLite goes through one {@link SqliteWriter}, which also commits them in groups;
 * reads use the pool. The busy timeout covers other processes such as {@code beacon admin}.
 */
public final class Database implements AutoCloseable {
    private final Dialect dialect;
    private final HikariDataSource dataSource;
    /** SQLite only: the single writer all write transactions go through; null on PostgreSQL. */
    private final SqliteWriter writer;
    /** PostgreSQL only: group commit for transactions that write one hot row (see {@link Commit#GROUPED}). */
    private final PostgresGroupCommit grouped;
    /** Opens the Jdbi handles of {@link Tx}s, on whatever connection the Tx has. */
    private final Handles handles;

    private Database(Dialect dialect, HikariDataSource dataSource, SqliteWriter writer, Handles handles) {
        this.dialect = dialect;
        this.dataSource = dataSource;
        this.writer = writer;
        this.handles = handles;
        this.grouped = writer == null ? new PostgresGroupCommit(dataSource, handles) : null;
    }

    private static Jdbi configure(Jdbi jdbi) {
        // Stores bind every optional filter and let the SQL text decide which ones it uses.
        jdbi.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
        return jdbi;
    }

    /** Opens the database at {@code jdbcUrl} and applies any pending migrations: what the server does at start. */
    public static Database open(String jdbcUrl) {
        return open(jdbcUrl, true);
    }

    /**
     * Opens a database the server has already created and migrated to exactly this version's schema, for
     * {@code beacon admin}: it never creates a database file or a schema and never migrates. Throws
     * {@link SchemaMismatch} when there is no Beacon schema there, or one of another version.
     */
    public static Database openExisting(String jdbcUrl) {
        if (Dialect.of(jdbcUrl) == Dialect.SQLITE) {
            Path file = sqliteFile(jdbcUrl);
            if (!Files.isRegularFile(file)) {
                throw new SchemaMismatch(null, null, false); // connecting would create the file
            }
        }
        return open(jdbcUrl, false);
    }

    /**
     * The database has no Beacon schema ({@code found} null), or one of another version than this build's
     * {@code expected}.
     */
    public static final class SchemaMismatch extends RuntimeException {
        private final String found;
        private final String expected;
        private final boolean newer;

        /** {@code found} null: no Beacon schema; else a version other than {@code expected} ({@code newer} than it or not). */
        public SchemaMismatch(String found, String expected, boolean newer) {
            super(found == null ? "no Beacon schema" : "schema version " + found + ", expected " + expected, null, false, false);
            this.found = found;
            this.expected = expected;
            this.newer = newer;
        }

        /** Whether the schema found is newer than this build's (a newer Beacon migrated it). */
        public boolean newer() {
            return newer;
        }

        /** The schema version found, or null when there is no Beacon schema at all. */
        public String found() {
            return found;
        }

        /** The schema version this build has (null when there was no database to look at). */
        public String expected() {
            return expected;
        }
    }

    private static Database open(String jdbcUrl, boolean migrate) {
        if (JDBI_WARM_UP_STARTED.compareAndSet(false, true)) { // once per process: later opens find it done
            Thread.ofPlatform().name("beacon-jdbi-warm-up").daemon().start(Database::warmUpJdbi);
        }
        Dialect dialect = Dialect.of(jdbcUrl);
        if (dialect == Dialect.SQLITE) {
            SqliteNative.useCache();
        }
        if (dialect == Dialect.SQLITE && migrate) {
            // Before the pool opens and the first migration creates a table: afterwards it would take a full VACUUM.
            try {
                SqliteSpace.makeNewDatabaseIncremental(jdbcUrl);
            } catch (SQLException e) {
                throw new Sql.DatabaseException("PRAGMA auto_vacuum = INCREMENTAL", e);
            }
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName("beacon-db");
        config.setConnectionTimeout(10_000);
        Properties sqlite = sqliteProperties();
        if (dialect == Dialect.SQLITE) {
            config.setDataSourceProperties(sqlite);
            config.setMaximumPoolSize(8);
        } else {
            config.setMaximumPoolSize(16);
            // Several nodes share one PostgreSQL (100 connections by default): a quiet node keeps 4 open, not 16;
            // connections it opened under load are closed after 10 idle minutes.
            config.setMinimumIdle(4);
            if (!jdbcUrl.contains("user=")) {
                config.setUsername(System.getenv().getOrDefault("PGUSER", "postgres"));
            }
        }
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            if (!SchemaVersions.upToDate(dataSource)) {
                Flyway flyway = SchemaVersions.flyway(dataSource);
                if (migrate) {
                    SchemaVersions.refuseNewer(flyway);
                    flyway.migrate();
                } else {
                    SchemaVersions.requireCurrent(flyway);
                }
            }
            Handles handles = new Handles();
            SqliteWriter writer = dialect == Dialect.SQLITE ? new SqliteWriter(DriverManager.getConnection(jdbcUrl, writerProperties(sqlite)), handles) : null;
            return new Database(dialect, dataSource, writer, handles);
        } catch (RuntimeException | SQLException e) {
            dataSource.close();
            throw e instanceof RuntimeException runtime ? runtime : new Sql.DatabaseException("(open " + dialect + ")", (SQLException) e);
        }
    }

    /**
     * Initialises Jdbi's statement classes. The first one registers Jdbi's flight-recorder event type, which sets up
     * the JDK's flight recorder: about 120 ms of one core, a tenth of a server's start. Run on a thread of its own
     * while the pool opens and the schema is checked, it is done by the time the first statement needs it (which
     * waits for it otherwise, as for any class being initialised, and never does it twice).
     */
    private static final AtomicBoolean JDBI_WARM_UP_STARTED = new AtomicBoolean();

    private static void warmUpJdbi() {
        try {
            Class.forName(SqlStatement.class.getName(), true, SqlStatement.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            // The first statement will say what is wrong.
        }
    }

    private static Properties sqliteProperties() {
        Properties properties = new Properties();
        // WAL lets readers run beside the writer; synchronous=NORMAL is durable across process crashes and
        // only loses the last transactions on power loss, the usual trade-off for WAL.
        properties.setProperty("journal_mode", "WAL");
        properties.setProperty("synchronous", "NORMAL");
        // Other processes (`beacon admin` beside the server) wait for the lock instead of failing.
        properties.setProperty("busy_timeout", Integer.toString(SqliteSpace.BUSY_TIMEOUT_MILLIS));
        properties.setProperty("foreign_keys", "true");
        // Beacon never reads generated keys; without this, sqlite-jdbc runs an extra query after every INSERT.
        properties.setProperty("jdbc.get_generated_keys", "false");
        // Checkpoints copy the WAL into the database and fsync; run inside a commit they would stall the
        // writer. A background thread runs them instead (see checkpoint()).
        properties.setProperty("wal_autocheckpoint", "0");
        // A WAL the checkpoints rewound is cut back to this size rather than kept at its largest (SqliteSpace).
        properties.setProperty("journal_size_limit", Long.toString(SqliteSpace.WAL_KEPT_BYTES));
        return properties;
    }

    /**
     * The writer's connection: {@link #sqliteProperties} with temporary storage in memory. The writer runs each caller's
     * work of a batch in a savepoint, and SQLite keeps a savepoint's page images in a statement journal that spills to a
     * temporary file past 64 KiB (created, written and deleted for every few claims) unless temporary storage is
     * memory; a batch is bounded, so is that memory. The readers keep files: a large sort or grouping spills to disk
     * rather than to memory.
     */
    private static Properties writerProperties(Properties sqlite) {
        Properties properties = new Properties();
        properties.putAll(sqlite);
        properties.setProperty("temp_store", "MEMORY");
        return properties;
    }

    /**
     * The JDBC URL of the embedded SQLite database under {@code dataDir}. Creates nothing: the server prepares the
     * directory (see {@link DataDir}), and admin commands must not create one.
     */
    public static String sqliteUrl(Path dataDir) {
        return "jdbc:sqlite:" + dataDir.resolve("beacon.db").toAbsolutePath();
    }

    /** The file of a {@code jdbc:sqlite:} URL. */
    public static Path sqliteFile(String jdbcUrl) {
        String rest = jdbcUrl.substring("jdbc:sqlite:".length());
        int query = rest.indexOf('?');
        return Path.of(query < 0 ? rest : rest.substring(0, query));
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Work on one connection, given as a {@link Tx}; it may throw SQLException, which reaches the caller wrapped. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    /** How a {@link #write} commits. Every kind is one atomic unit; they differ only in cost on PostgreSQL. */
    public enum Commit {
        /** A transaction of its own: BEGIN, the work, COMMIT. The default; right for any write. */
        TRANSACTION,
        /**
         * For work that is a single statement (atomic by itself): on PostgreSQL it runs in autocommit, so the
         * statement and its commit take one round trip instead of two.
         */
        ONE_STATEMENT,
        /**
         * For short transactions that race for one hot row (an enrollment key's use counter): on PostgreSQL they
         * are committed in groups, each in its own savepoint (see {@link PostgresGroupCommit}). The work must not
         * depend on seeing its own commit before it returns.
         */
        GROUPED,
        /**
         * Like {@link #GROUPED}, for work that writes nothing before it throws, other than by a failing statement: it
         * needs no savepoint of its own, which on PostgreSQL saves two round trips per write. A failing statement aborts
         * the whole batch there, which is then rolled back and each of its writes run again alone.
         */
        GROUPED_WITHOUT_SAVEPOINT
    }

    /**
     * Runs a read: {@code work} gets a pooled connection in autocommit mode (on SQLite, beside the writer). Use it
     * for queries, never for writes: on SQLite writes go through {@link #write}'s single writer.
     */
    public <T> T read(Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            Tx tx = new Tx(connection, connection, handles);
            try {
                return work.run(tx);
            } finally {
                tx.close();
            }
        } catch (SQLException e) {
            throw new Sql.DatabaseException("(connection)", e);
        }
    }

    /**
     * Runs a write in one transaction: it commits when {@code work} returns and rolls back if it throws; this
     * returns only after the commit. The way to change anything in the database.
     */
    public <T> T write(Work<T> work) {
        return write(Commit.TRANSACTION, work);
    }

    /**
     * Like {@link #write(Work)}, committed the way {@code commit} says. On SQLite every kind goes through the one
     * {@link SqliteWriter}, which commits whatever is queued together (each write in its own savepoint, so a write
     * that throws rolls back only itself); the kinds differ on PostgreSQL only.
     */
    public <T> T write(Commit commit, Work<T> work) {
        if (writer != null) {
            return writer.submit(work);
        }
        return switch (commit) {
            case TRANSACTION -> inTransaction(work);
            case ONE_STATEMENT -> read(work);
            case GROUPED -> grouped.submit(work);
            case GROUPED_WITHOUT_SAVEPOINT -> grouped.submitWithoutSavepoint(work);
        };
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            Tx tx = new Tx(connection, connection, handles);
            try {
                T result = work.run(tx);
                tx.close();
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                tx.close();
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new Sql.DatabaseException("(transaction)", e);
        }
    }

    /**
     * Opens Jdbi handles on a connection {@link Database} already holds (a {@link Tx}'s): the connection is passed
     * to Jdbi's connection factory through a thread-local for the moment of opening, and closing the handle leaves
     * it open. Thread-safe.
     */
    static final class Handles {
        private final ThreadLocal<Connection> opening = new ThreadLocal<>();
        private final Jdbi jdbi = configure(Jdbi.create(new ConnectionFactory() {
            @Override
            public Connection openConnection() {
                return opening.get();
            }

            @Override
            public void closeConnection(Connection connection) {
                // the Tx's owner closes it
            }
        }));

        Handle open(Connection connection) {
            opening.set(connection);
            try {
                return jdbi.open();
            } finally {
                opening.remove();
            }
        }
    }

    /**
     * Moves committed WAL pages into the database file and has the WAL started over once it is large
     * ({@link SqliteSpace#checkpoint}); SQLite only, a no-op on PostgreSQL. The server runs it every second, so the WAL
     * stays small and commits never fsync.
     */
    public void checkpoint() {
        if (writer != null) {
            SqliteSpace.checkpoint(this, writer::restartWal);
        }
    }

    /** True when a trivial query answers, for {@code /readyz}. */
    public boolean isReachable() {
        try {
            return read(tx -> tx.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code e} (or its cause) is a unique-constraint violation on either database. */
    public static boolean isUniqueViolation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                String state = sql.getSQLState();
                if ("23505".equals(state) || (sql.getMessage() != null && sql.getMessage().contains("UNIQUE constraint failed"))) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
        if (grouped != null) {
            grouped.close();
        }
        dataSource.close();
    }
}
