package dev.beacon.cli;

import dev.beacon.server.SecretKeyCheck;
import dev.beacon.store.DataDir;
import dev.beacon.store.Database;
import dev.beacon.store.SchemaVersions;
import dev.beacon.store.SqliteBackup;
import dev.beacon.tokens.SecretBox;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code beacon admin restore --from FILE}: puts an SQLite backup in place as the data dir's database. It takes the
 * data dir's lock, so it refuses while a server runs there (and no server starts meanwhile); it refuses to replace
 * a database without {@code --force}, and a file that is not a Beacon database this version can run. On PostgreSQL
 * it prints the {@code pg_restore} command to use and exits 2.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Put an SQLite backup in place as the data dir's database; the server must be stopped (PostgreSQL: prints the pg_restore command).")
final class RestoreCommand implements Callable<Integer> {
    /** Where the backup is copied and checked before it replaces anything; a leftover of a failed restore is replaced. */
    static final String STAGING = "beacon.db.restoring";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Mixin
    StorageOptions storage;
    @Option(names = "--from", required = true, description = "The backup file (from beacon admin backup).")
    Path source;
    @Option(names = "--force", description = "Replace the data dir's database if it has one.")
    boolean force;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (storage.postgres()) {
            err.println("✗ beacon admin restore restores SQLite databases only: restore a PostgreSQL dump with `"
                    + PostgresTools.of(storage.databaseUrl).restore(source) + "` while no server runs on that database, "
                    + "and give the servers the secret kept with the dump.");
            return 2;
        }
        try {
            if (!Files.isRegularFile(source)) {
                throw new AdminCommand.CommandFailed("There is no file " + source.toAbsolutePath() + ".");
            }
            if (!SqliteBackup.isSqlite(source)) {
                throw new AdminCommand.CommandFailed(source.toAbsolutePath() + " is not an SQLite database; give --from a file "
                        + "that beacon admin backup wrote.");
            }
            Path dataDir = storage.dataDir;
            DataDir.prepare(dataDir);
            try (DataDir.Lock lock = DataDir.lock(dataDir)) {
                return restore(dataDir, out, err);
            }
        } catch (AdminCommand.CommandFailed | DataDir.Locked refused) {
            err.println("✗ " + (refused instanceof DataDir.Locked ? "Not restoring: " : "") + refused.getMessage());
            return 1;
        } catch (IOException | SQLException | RuntimeException e) {
            err.println("✗ The restore failed: " + ServerCommand.rootMessage(e));
            return 1;
        }
    }

    /** With the data dir locked: stage the copy, check it, move it in place of the database. */
    private int restore(Path dataDir, PrintWriter out, PrintWriter err) throws IOException, SQLException {
        Path database = Database.sqliteFile(storage.effectiveDatabaseUrl());
        if (Files.exists(database) && Files.size(database) > 0 && !force) {
            throw new AdminCommand.CommandFailed(database.toAbsolutePath() + " already holds a database (" + Files.size(database)
                    + " bytes); not replacing it. Add --force to replace it (back it up first with beacon admin backup), "
                    + "or restore into another --data-dir.");
        }
        Path staged = dataDir.resolve(STAGING);
        deleteWithJournals(staged);
        String version;
        try {
            copyOwnerOnly(source, staged);
            String check = SqliteBackup.quickCheck(staged);
            if (!"ok".equals(check)) {
                throw new AdminCommand.CommandFailed(source.toAbsolutePath() + " is damaged (SQLite's quick_check: " + check + "); not restoring it.");
            }
            version = schemaVersion(staged);
        } catch (RuntimeException | IOException | SQLException e) {
            deleteWithJournals(staged);
            throw e;
        }
        String recorded = SecretKeyCheck.recordedIn(staged);
        // A -wal or -shm left by the database being replaced would be read as part of the restored one.
        for (String journal : new String[] {"-wal", "-shm", "-journal"}) {
            Files.deleteIfExists(database.resolveSibling(database.getFileName() + journal));
        }
        Files.move(staged, database, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        DataDir.tightenFiles(dataDir);
        out.println("Restored " + source.toAbsolutePath() + " as " + database.toAbsolutePath() + " (schema version " + version
                + "; a newer beacon server migrates it when it starts).");
        secretAdvice(dataDir, recorded, out, err);
        out.println("Start the server on it: beacon server --data-dir " + dataDir);
        return 0;
    }

    private String schemaVersion(Path staged) {
        try {
            return SchemaVersions.restorable(staged);
        } catch (Database.SchemaMismatch mismatch) {
            throw new AdminCommand.CommandFailed(mismatch.found() == null
                    ? source.toAbsolutePath() + " is an SQLite database but not a Beacon one (it has no Beacon schema); not restoring it."
                    : source.toAbsolutePath() + " has schema version " + mismatch.found() + ", newer than this beacon's " + mismatch.expected()
                            + ": restore it with the Beacon version that made it.");
        }
    }

    /** Says whether the server secret in place is the backup's: a server with another one refuses to start on it. */
    private static void secretAdvice(Path dataDir, String recorded, PrintWriter out, PrintWriter err) {
        String fromEnv = System.getenv("BEACON_SECRET_KEY");
        boolean envKey = fromEnv != null && !fromEnv.isBlank();
        Path keyFile = dataDir.resolve("secret.key").toAbsolutePath();
        if (!envKey && !Files.exists(keyFile)) {
            out.println("Now put the secret.key kept with this backup at " + keyFile + " (mode 0600) before starting the server: "
                    + "a server with another secret refuses to start on this database.");
            return;
        }
        if (recorded == null) {
            out.println("This backup records no secret fingerprint: make sure " + (envKey ? "BEACON_SECRET_KEY" : keyFile)
                    + " is the secret kept with it, or its enrollment keys' raw values cannot be shown.");
            return;
        }
        String mine;
        try {
            mine = SecretBox.load(fromEnv, dataDir).fingerprint();
        } catch (RuntimeException unreadable) {
            err.println("⚠ Cannot read the server secret to compare it with the backup's: " + ServerCommand.rootMessage(unreadable));
            return;
        }
        if (mine.equals(recorded)) {
            out.println("The server secret (" + (envKey ? "BEACON_SECRET_KEY" : keyFile) + ") is the one this backup was made with.");
        } else {
            err.println("⚠ " + (envKey ? "BEACON_SECRET_KEY" : keyFile) + " is not the secret this backup was made with (fingerprint "
                    + mine.substring(0, 8) + "…, the backup expects " + recorded.substring(0, 8) + "…): put the secret kept with the "
                    + "backup in its place, or the server refuses to start.");
        }
    }

    /** Copies {@code from} to {@code to}, which is created with mode 0600 before a byte is written. */
    private static void copyOwnerOnly(Path from, Path to) throws IOException {
        if (to.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(to, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        try (OutputStream target = Files.newOutputStream(to)) {
            Files.copy(from, target);
        }
    }

    private static void deleteWithJournals(Path file) {
        for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
            try {
                Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + file + suffix, e);
            }
        }
    }
}
