package dev.beacon.cli;

import dev.beacon.store.SqliteBackup;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code beacon admin backup --to FILE}: a consistent copy of the SQLite database, taken beside a running server
 * (it takes no lock and the server keeps writing). On PostgreSQL it copies nothing: it prints the {@code pg_dump}
 * command to use and exits 2, so a script that expected a file notices.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Copy the SQLite database, consistently, while the server runs (PostgreSQL: prints the pg_dump command).")
final class BackupCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Mixin
    StorageOptions storage;
    @Option(names = "--to", required = true, description = "The file to write; it must not exist yet.")
    Path target;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (storage.postgres()) {
            err.println("✗ beacon admin backup copies SQLite databases only: back up this PostgreSQL database with `"
                    + PostgresTools.of(storage.databaseUrl).dump(target) + "` (it reads the password from PGPASSWORD or ~/.pgpass), "
                    + "and keep the server secret apart from the dump.");
            return 2;
        }
        String url = storage.effectiveDatabaseUrl();
        Path database = storage.existingSqliteFile(err);
        if (database == null) {
            return 1;
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            err.println("✗ " + target.toAbsolutePath() + " already exists; not overwriting it. Give --to a new file, e.g. beacon-$(date +%F-%H%M).db.");
            return 1;
        }
        try {
            createOwnerOnly(target);
        } catch (FileAlreadyExistsException raced) {
            err.println("✗ " + target.toAbsolutePath() + " already exists; not overwriting it.");
            return 1;
        } catch (NoSuchFileException noDirectory) {
            err.println("✗ Cannot write " + target.toAbsolutePath() + ": the directory " + target.toAbsolutePath().getParent() + " does not exist.");
            return 1;
        } catch (IOException e) {
            err.println("✗ Cannot create " + target.toAbsolutePath() + ": " + e.getMessage());
            return 1;
        }
        long bytes;
        try {
            bytes = SqliteBackup.copy(url, target);
        } catch (SQLException | IOException | RuntimeException e) {
            deleteQuietly(target);
            err.println("✗ The copy of " + database + " failed: " + ServerCommand.rootMessage(e));
            return 1;
        }
        String secret = System.getenv("BEACON_SECRET_KEY") != null && !System.getenv("BEACON_SECRET_KEY").isBlank()
                ? "the server secret in BEACON_SECRET_KEY"
                : storage.dataDir.resolve("secret.key").toAbsolutePath().toString();
        out.println("Backed up " + database + " to " + target.toAbsolutePath() + " (" + bytes + " bytes, one consistent snapshot).");
        out.println("Keep " + secret + " too, apart from the copy: a restore needs it (a server with another secret refuses to start "
                + "on the copy, and the enrollment keys' raw values are sealed with it).");
        return 0;
    }

    /** Creates {@code file} empty with mode 0600 (the copy holds password and token hashes); fails if it exists. */
    private static void createOwnerOnly(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(file);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the copy failed already; that error says more
        }
    }
}
