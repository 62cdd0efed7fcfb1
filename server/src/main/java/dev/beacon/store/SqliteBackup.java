package dev.beacon.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/**
 * Copies of an SQLite database: a consistent copy of a database a server may be writing, and the checks a file gets
 * before it is restored as one. Each call opens a connection of its own and closes it. Stateless.
 */
public final class SqliteBackup {
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    private SqliteBackup() {
    }

    /**
     * Writes a consistent copy of the database at {@code jdbcUrl} to {@code target}, which must be missing or an
     * empty file (one the caller created with the mode it wants): {@code VACUUM INTO} reads one snapshot, so a server
     * keeps writing meanwhile (in WAL mode a reader never blocks the writer). Returns the copy's size in bytes.
     */
    public static long copy(String jdbcUrl, Path target) throws SQLException, IOException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl)) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA busy_timeout = 10000");
            }
            try (PreparedStatement vacuum = connection.prepareStatement("VACUUM INTO ?")) {
                vacuum.setString(1, target.toAbsolutePath().toString());
                vacuum.execute();
            }
        }
        return Files.size(target);
    }

    /** Whether {@code file} starts with SQLite's header ("SQLite format 3"). */
    public static boolean isSqlite(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        }
    }

    /**
     * SQLite's {@code PRAGMA quick_check} of {@code file}: "ok", or the first problem it found. Reads the whole file
     * once; changes nothing.
     */
    public static String quickCheck(Path file) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("PRAGMA quick_check(1)")) {
            return result.next() ? result.getString(1) : "no answer";
        }
    }
}
