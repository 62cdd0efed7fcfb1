package dev.beacon.server;

import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import dev.beacon.tokens.SecretBox;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;

/**
 * Makes sure every node on a database uses the same server secret: the first start records the key's fingerprint
 * (a database from before the fingerprint adopts the current key's), and a start with another key is refused before
 * the node writes anything the others could not decrypt. Runs once while the server starts.
 */
public final class SecretKeyCheck {
    private SecretKeyCheck() {
    }

    /** Refused start: this node's secret is not the one the database's other nodes use. */
    public static final class Mismatch extends RuntimeException {
        Mismatch(String message) {
            super(message, null, false, false); // one line for the operator, no stack trace
        }
    }

    /**
     * The fingerprint recorded in the SQLite database file {@code sqliteFile} (a backup about to be restored), or null
     * when it has none: its schema predates fingerprints, or no server ever started on it. Changes nothing.
     */
    public static String recordedIn(Path sqliteFile) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + sqliteFile.toAbsolutePath());
             Statement statement = connection.createStatement()) {
            try (ResultSet table = statement.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'secret_key_fingerprint'")) {
                if (!table.next() || table.getInt(1) == 0) {
                    return null;
                }
            }
            try (ResultSet row = statement.executeQuery("SELECT fingerprint FROM secret_key_fingerprint WHERE id = 1")) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    /** Records the fingerprint of {@code secrets} if the database has none; throws {@link Mismatch} if it has another. */
    public static void run(Database db, SecretBox secrets, Clock clock) {
        String mine = secrets.fingerprint();
        String recorded = db.write(tx -> {
            // Two nodes starting at once with different keys: the first insert wins, and the other reads it back.
            tx.execute("INSERT INTO secret_key_fingerprint (id, fingerprint, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
                    mine, clock.millis());
            return Sql.first(tx.connection(), "SELECT fingerprint FROM secret_key_fingerprint WHERE id = 1", rs -> rs.getString(1));
        });
        if (!recorded.equals(mine)) {
            throw new Mismatch("this node's server secret is not the one this database's other nodes use (fingerprint "
                    + mine.substring(0, 8) + "…, the database expects " + recorded.substring(0, 8) + "…): give every node the same "
                    + "BEACON_SECRET_KEY (or the same secret.key in its data dir) and start it again.");
        }
    }
}
