package dev.beacon.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * The connection pool, migrations and transactions for either SQLite or PostgreSQL. Thread-safe.
 *
 * <p>SQLite allows one writer at a time. Rather than let racing writers collide inside SQLite (where a
 * deferred transaction that upgrades to a write lock fails with SQLITE_BUSY instead of waiting), write
 * transactions on SQLite queue on a fair in-process lock and start with {@code BEGIN IMMEDIATE}; the
 * busy timeout covers other processes such as {@code beacon admin} run beside the server.
 */
public final class Database implements AutoCloseable {
    private final Dialect dialect;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final ReentrantLock sqliteWriteLock = new ReentrantLock(true);

    private Database(Dialect dialect, HikariDataSource dataSource) {
        this.dialect = dialect;
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
        // Stores bind every optional filter and let the SQL text decide which ones it uses.
        jdbi.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
    }

    /** Opens the database at {@code jdbcUrl} and applies any pending migrations. */
    public static Database open(String jdbcUrl) {
        Dialect dialect = Dialect.of(jdbcUrl);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName("beacon-db");
        config.setConnectionTimeout(10_000);
        if (dialect == Dialect.SQLITE) {
            // WAL lets readers run beside the writer; synchronous=NORMAL is durable across process
            // crashes and only loses the last transactions on power loss, the usual trade-off for WAL.
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("synchronous", "NORMAL");
            config.addDataSourceProperty("busy_timeout", "10000");
            config.addDataSourceProperty("foreign_keys", "true");
            config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
            config.setMaximumPoolSize(8);
        } else {
            config.setMaximumPoolSize(16);
            if (!jdbcUrl.contains("user=")) {
                config.setUsername(System.getenv().getOrDefault("PGUSER", "postgres"));
            }
        }
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new Database(dialect, dataSource);
    }

    /** The JDBC URL of the embedded SQLite database under {@code dataDir}. */
    public static String sqliteUrl(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        return "jdbc:sqlite:" + dataDir.resolve("beacon.db").toAbsolutePath();
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
        if (dialect != Dialect.SQLITE) {
            return jdbi.inTransaction(callback);
        }
        sqliteWriteLock.lock();
        try {
            return jdbi.inTransaction(callback);
        } finally {
            sqliteWriteLock.unlock();
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
        dataSource.close();
    }
}
