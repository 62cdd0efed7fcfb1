package dev.beacon.server;

import dev.beacon.store.DataDir;
import java.nio.file.Files;

/** What a starting server does to its data dir before and after it opens the database. Runs on the starting thread. */
final class ServerStorage {
    private ServerStorage() {
    }

    /**
     * Creates or tightens the data dir (0700, Beacon's files 0600) and, on SQLite, takes its lock and creates the
     * database file 0600. Returns the lock (null on PostgreSQL, where several nodes share one database).
     */
    static DataDir.Lock prepare(ServerConfig config) {
        boolean sqlite = config.databaseUrl() == null || config.databaseUrl().isBlank();
        // On PostgreSQL the data dir holds only secret.key, and not even that when BEACON_SECRET_KEY is set.
        if (sqlite || config.secretKeyHex() == null || Files.isDirectory(config.dataDir())) {
            DataDir.prepare(config.dataDir());
        }
        if (!sqlite) {
            return null;
        }
        DataDir.Lock lock = DataDir.lock(config.dataDir());
        try {
            DataDir.createDatabaseFile(config.dataDir());
            return lock;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** After the database is open: SQLite made its -wal and -shm files (with the database file's mode, but be sure). */
    static void tighten(ServerConfig config) {
        if (Files.isDirectory(config.dataDir())) {
            DataDir.tightenFiles(config.dataDir());
        }
    }
}
