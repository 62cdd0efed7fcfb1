package dev.beacon.cli;

import dev.beacon.store.Database;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the database is: the options shared by {@code beacon server} and {@code beacon admin}. */
public final class StorageOptions {
    @Option(names = "--data-dir", defaultValue = "${env:BEACON_DATA_DIR:-./beacon-data}",
            description = "Directory for the SQLite database and the server secret (default: ${DEFAULT-VALUE}; env BEACON_DATA_DIR).")
    Path dataDir;

    @Option(names = "--database-url", defaultValue = "${env:BEACON_DATABASE_URL}",
            description = "PostgreSQL JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/beacon; unset means SQLite (env BEACON_DATABASE_URL).")
    String databaseUrl;

    String effectiveDatabaseUrl() {
        return postgres() ? databaseUrl : Database.sqliteUrl(dataDir);
    }

    boolean postgres() {
        return databaseUrl != null && !databaseUrl.isBlank();
    }

    /**
     * The SQLite database file, for the admin commands that copy or rewrite it; null, once the refusal is printed on
     * {@code err}, when there is none (opening it would create an empty one).
     */
    Path existingSqliteFile(PrintWriter err) {
        Path database = Database.sqliteFile(effectiveDatabaseUrl());
        if (!Files.isRegularFile(database)) {
            err.println("✗ " + schemaRefusal(new Database.SchemaMismatch(null, null, false)));
            return null;
        }
        return database;
    }

    /** The one line an admin command prints when the database it looked at is not the server's (see {@link Database#openExisting}). */
    String schemaRefusal(Database.SchemaMismatch mismatch) {
        String where = postgres()
                ? "the PostgreSQL database " + databaseUrl.replaceAll("password=[^&]*", "password=***") + " (--database-url)"
                : Database.sqliteFile(effectiveDatabaseUrl()) + " (--data-dir " + dataDir + ")";
        String what = mismatch.found() == null
                ? "There is no Beacon database at " + where
                : "The Beacon database at " + where + " has schema version " + mismatch.found() + ", this beacon's is "
                        + mismatch.expected() + (mismatch.newer() ? " (a newer Beacon migrated it: use that version's beacon admin)"
                                : " (run this version's `beacon server` on it once to migrate it)");
        return what + ". Point this command at the server's database with --data-dir DIR or --database-url URL, "
                + "or the variables the server reads, BEACON_DATA_DIR and BEACON_DATABASE_URL.";
    }
}
