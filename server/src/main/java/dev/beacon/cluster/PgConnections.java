package dev.beacon.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens the two connections of the signals outside the pool: one that sends, one that listens, each named by its
 * {@code application_name} ({@code beacon-signals-send}, {@code beacon-signals-listen}) so an operator can find them
 * in {@code pg_stat_activity}. Stateless.
 */
final class PgConnections {
    static final String CHANNEL = "beacon_signals";
    static final String SENDER_NAME = "beacon-signals-send";
    static final String LISTENER_NAME = "beacon-signals-listen";

    private PgConnections() {
    }

    /** A new autocommit connection to {@code jdbcUrl} (user {@code $PGUSER} or postgres when the URL names none). */
    static Connection open(String jdbcUrl, String applicationName) throws SQLException {
        Properties properties = new Properties();
        if (!jdbcUrl.contains("user=")) {
            properties.setProperty("user", System.getenv().getOrDefault("PGUSER", "postgres"));
        }
        properties.setProperty("ApplicationName", applicationName);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("tcpKeepAlive", "true");
        Connection connection = DriverManager.getConnection(jdbcUrl, properties);
        connection.setAutoCommit(true);
        return connection;
    }
}
