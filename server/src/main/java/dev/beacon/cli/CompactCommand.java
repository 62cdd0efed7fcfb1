package dev.beacon.cli;

import dev.beacon.store.DataDir;
import dev.beacon.store.SqliteSpace;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code beacon admin compact}: gives the SQLite database's free space back to the file system, and makes a
 * database created before Beacon set {@code auto_vacuum = INCREMENTAL} incremental (one full {@code VACUUM}), so
 * that the server's periodic step can keep giving space back from then on. It rewrites the whole file, so it
 * takes the data dir's lock and refuses while a server runs there. On PostgreSQL it says what to use and exits 2.
 */
@Command(name = "compact", mixinStandardHelpOptions = true,
        description = "Give the SQLite database's free space back to the disk (the server must be stopped).")
final class CompactCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Mixin
    StorageOptions storage;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (storage.postgres()) {
            err.println("✗ beacon admin compact works on SQLite only: PostgreSQL's autovacuum reuses the space of deleted rows, "
                    + "and VACUUM FULL (which locks each table while it rewrites it) gives it back to the disk.");
            return 2;
        }
        String url = storage.effectiveDatabaseUrl();
        Path database = storage.existingSqliteFile(err);
        if (database == null) {
            return 1;
        }
        try (DataDir.Lock lock = DataDir.lock(storage.dataDir)) {
            long size = Files.size(database);
            long free = Files.getFileStore(database).getUsableSpace();
            if (free < size) {
                err.println("✗ Not compacting: VACUUM writes a copy of the database (" + size + " bytes), and the disk of "
                        + database.getParent() + " has " + free + " bytes free.");
                return 1;
            }
            SqliteSpace.Compacted compacted = SqliteSpace.compact(url);
            out.println((compacted.switched() ? "Made " + database + " incremental (auto_vacuum) and compacted it: "
                    : "Compacted " + database + ": ") + compacted.bytesBefore() + " → " + compacted.bytesAfter() + " bytes.");
            return 0;
        } catch (DataDir.Locked running) {
            err.println("✗ Not compacting: " + running.getMessage());
            return 1;
        } catch (IOException | SQLException | RuntimeException e) {
            err.println("✗ Compacting " + database + " failed: " + ServerCommand.rootMessage(e));
            return 1;
        }
    }
}
