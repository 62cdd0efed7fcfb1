package dev.beacon.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Run as its own process by {@link SqliteNativeTest} (sqlite-jdbc loads its library once per process): points
 * sqlite-jdbc at the cache as {@link Database} does, opens an in-memory database and prints which library directory
 * it was told to use and the SQLite version it answers with.
 */
public final class SqliteNativeProbe {
    private SqliteNativeProbe() {
    }

    public static void main(String[] args) throws SQLException {
        SqliteNative.useCache();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite::memory:");
             ResultSet version = connection.createStatement().executeQuery("SELECT sqlite_version()")) {
            version.next();
            System.out.println("lib=" + System.getProperty("org.sqlite.lib.path"));
            System.out.println("sqlite=" + version.getString(1));
        }
    }
}
