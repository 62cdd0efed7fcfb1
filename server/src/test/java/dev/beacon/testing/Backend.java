package dev.beacon.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The databases every storage test runs against. PostgreSQL is expected at 127.0.0.1:5432 (user postgres,
 * trust auth); each test server gets a fresh database that is dropped afterwards. Without PostgreSQL a
 * plain local run skips those tests with a message; under CI (env CI set) a missing PostgreSQL fails them.
 */
public enum Backend {
    SQLITE,
    POSTGRESQL;

    static final String ADMIN_URL = System.getenv().getOrDefault("BEACON_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");

    /** A fresh, empty database for one test server: its JDBC URL (null means SQLite under the data dir). */
    public String createDatabase(Path dataDir) {
        if (this == SQLITE) {
            return null;
        }
        String name = "beacon_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection connection = DriverManager.getConnection(ADMIN_URL); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            boolean required = System.getenv("CI") != null || "require".equals(System.getProperty("beacon.test.postgres"));
            String message = "PostgreSQL is not reachable at " + ADMIN_URL + " (" + e.getMessage() + ")";
            if (required) {
                throw new IllegalStateException(message + "; CI never skips the PostgreSQL tests", e);
            }
            Assumptions.abort(message + ": skipping the PostgreSQL variant of this test. Start PostgreSQL to run it.");
        }
        return ADMIN_URL.replace("/postgres?", "/" + name + "?");
    }

    /** Drops a database made by {@link #createDatabase}. */
    public static void dropDatabase(String url) {
        if (url == null) {
            return;
        }
        String name = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
        try (Connection connection = DriverManager.getConnection(ADMIN_URL); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("could not drop test database " + name + ": " + e.getMessage());
        }
    }
}
