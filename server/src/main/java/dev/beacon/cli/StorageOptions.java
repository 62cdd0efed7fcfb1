package dev.beacon.cli;

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
        return databaseUrl != null && !databaseUrl.isBlank() ? databaseUrl : dev.beacon.store.Database.sqliteUrl(dataDir);
    }
}
