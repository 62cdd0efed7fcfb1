package dev.beacon.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.DriverManager;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * The connection pool, migrations and transactions for either SQLite or PostgreSQL. Thread-safe.
 *
 * <p>SQLite allows one writer at a time. Rather than let racing writers collide inside SQLite (where a
 * deferred transaction that upgrades to a write lock fails with SQLITE_BUSY instead of waiting), every
 * write transaction on SQLite goes through one {@link SqliteWriter}, which also commits them in groups;
 * reads use the pool. The busy timeout covers other processes such as {@code beacon admin}.
 */
public final class Database implements AutoCloseable {
    private final Dialect dialect;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    /** SQLite only: the single writer all write transactions go through; null on PostgreSQL. */
    private final SqliteWriter writer;
    /** PostgreSQL only: group commit for transactions that write one hot row (see {@link #transactionGrouped}). */
    private final PostgresGroupCommit grouped;
    /** Jdbi over the writer's connection, for write transactions written with Jdbi. */
    private final Jdbi writerJdbi;

    private Database(Dialect dialect, HikariDataSource dataSource, SqliteWriter writer) {
        this.dialect = dialect;
        this.dataSource = dataSource;
        this.writer = writer;
        this.grouped = writer == null ? new PostgresGroupCommit(dataSource) : null;
        this.jdbi = configure(Jdbi.create(dataSource));
        this.writerJdbi = writer == null ? null : configure(Jdbi.create(writer::unclosableConnection));
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

        SchemaMismatch(String found, String expected, boolean newer) {
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
        Dialect dialect = Dialect.of(jdbcUrl);
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
            if (!jdbcUrl.contains("user=")) {
                config.setUsername(System.getenv().getOrDefault("PGUSER", "postgres"));
            }
        }
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            Flyway flyway = Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:db/migration")
                    .load();
            if (migrate) {
                flyway.migrate();
            } else {
                checkSchema(flyway);
            }
            SqliteWriter writer = dialect == Dialect.SQLITE ? new SqliteWriter(DriverManager.getConnection(jdbcUrl, sqlite)) : null;
            return new Database(dialect, dataSource, writer);
        } catch (RuntimeException | SQLException e) {
            dataSource.close();
            throw e instanceof RuntimeException runtime ? runtime : new Sql.DatabaseException("(open " + dialect + ")", (SQLException) e);
        }
    }

    private static Properties sqliteProperties() {
        Properties properties = new Properties();
        // WAL lets readers run beside the writer; synchronous=NORMAL is durable across process crashes and
        // only loses the last transactions on power loss, the usual trade-off for WAL.
        properties.setProperty("journal_mode", "WAL");
        properties.setProperty("synchronous", "NORMAL");
        // Other processes (`beacon admin` beside the server) wait for the lock instead of failing.
        properties.setProperty("busy_timeout", "10000");
        properties.setProperty("foreign_keys", "true");
        // Beacon never reads generated keys; without this, sqlite-jdbc runs an extra query after every INSERT.
        properties.setProperty("jdbc.get_generated_keys", "false");
        // Checkpoints copy the WAL into the database and fsync; run inside a commit they would stall the
        // writer. A background thread runs them instead (see checkpoint()).
        properties.setProperty("wal_autocheckpoint", "0");
        return properties;
    }

    /** Refuses a database without this build's schema version: no history table, or another latest migration. */
    private static void checkSchema(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        MigrationInfo current = info.current();
        MigrationVersion expected = Arrays.stream(info.all())
                .filter(migration -> migration.getVersion() != null && !migration.getState().name().startsWith("FUTURE"))
                .map(MigrationInfo::getVersion)
                .max(Comparator.naturalOrder())
                .orElse(null);
        String expectedText = expected == null ? null : expected.toString();
        if (current == null || current.getVersion() == null) {
            throw new SchemaMismatch(null, expectedText, false);
        }
        if (!current.getVersion().equals(expected)) {
            throw new SchemaMismatch(current.getVersion().toString(), expectedText,
                    expected == null || current.getVersion().compareTo(expected) > 0);
        }
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

    /** Runs {@code callback} with a handle in autocommit mode, for reads and single statements. */
    public <T> T read(HandleCallback<T, RuntimeException> callback) {
        return jdbi.withHandle(callback);
    }

    /** Runs {@code callback} in one transaction; it commits when the callback returns and rolls back if it throws. */
    public <T> T transaction(HandleCallback<T, RuntimeException> callback) {
        if (writer == null) {
            return jdbi.inTransaction(callback);
        }
        return writer.submit(connection -> writerJdbi.withHandle(callback));
    }

    /** Work on a plain JDBC connection; see {@link Sql}. */
    @FunctionalInterface
    public interface ConnectionCallback<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Runs {@code callback} on a pooled connection in autocommit mode, without Jdbi (hot read paths). */
    public <T> T readJdbc(ConnectionCallback<T> callback) {
        try (Connection connection = dataSource.getConnection()) {
            return callback.apply(connection);
        } catch (SQLException e) {
            throw new Sql.DatabaseException("(connection)", e);
        }
    }

    /** Like {@link #transaction} on a plain JDBC connection, without Jdbi (hot write paths). */
    public <T> T transactionJdbc(ConnectionCallback<T> callback) {
        if (writer != null) {
            return writer.submit(callback);
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = callback.apply(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new Sql.DatabaseException("(transaction)", e);
        }
    }

    /**
     * Like {@link #transactionJdbc}, for work that is one statement (atomic by itself): on PostgreSQL it runs in
     * autocommit, so the statement and its commit take one round trip instead of two (BEGIN with the statement,
     * then COMMIT); on SQLite it goes through the writer like every write.
     */
    public <T> T statementJdbc(ConnectionCallback<T> callback) {
        return writer != null ? writer.submit(callback) : readJdbc(callback);
    }

    /**
     * Like {@link #transactionJdbc}, for short transactions that race for one hot row (an enrollment key's use
     * counter): on PostgreSQL they are committed in groups (see {@link PostgresGroupCommit}); on SQLite every write
     * already is. The callback must not commit, roll back or close the connection.
     */
    public <T> T transactionGrouped(ConnectionCallback<T> callback) {
        return grouped != null ? grouped.submit(callback) : transactionJdbc(callback);
    }

    /**
     * Moves committed WAL pages into the database file without blocking writers (SQLite only; a no-op on
     * PostgreSQL). The server runs it every second, so the WAL stays small and commits never fsync.
     */
    public void checkpoint() {
        if (dialect == Dialect.SQLITE) {
            readJdbc(connection -> {
                try (var statement = connection.createStatement()) {
                    statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
                }
                return null;
            });
        }
    }

    /** True when a trivial query answers, for {@code /readyz}. */
    public boolean isReachable() {
        try {
            return read(handle -> handle.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
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
