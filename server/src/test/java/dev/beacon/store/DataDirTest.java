package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data dir's lock and modes, in this JVM (ServerCommandTest covers separate processes). */
class DataDirTest {
    @TempDir
    Path temp;

    @Test
    void a_second_server_in_the_same_jvm_is_refused_before_it_touches_the_database_and_the_lock_goes_with_the_first() throws Exception {
        Path dataDir = temp.resolve("data");
        ServerConfig config = ServerConfig.defaults(dataDir).withPort(0).withAdminPassword("test-password");
        try (BeaconServer first = BeaconServer.start(config)) {
            assertThat(Files.readString(dataDir.resolve(DataDir.LOCK_FILE)).strip()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> BeaconServer.start(config))
                        .isInstanceOf(DataDir.Locked.class)
                        .hasMessage("another beacon server (pid " + ProcessHandle.current().pid() + ") is already using the data dir "
                                + dataDir.toRealPath() + "; stop it first, or give this one its own --data-dir (or BEACON_DATA_DIR).");
            }
            // a symbolic link to the same directory is the same data dir
            Path link = Files.createSymbolicLink(temp.resolve("link"), dataDir);
            assertThatThrownBy(() -> BeaconServer.start(ServerConfig.defaults(link).withPort(0))).isInstanceOf(DataDir.Locked.class);
            assertThat(first.baseUrl()).isNotEmpty();
        }
        try (BeaconServer again = BeaconServer.start(config)) {
            assertThat(again.port()).isPositive();
        }
    }

    @Test
    void a_failed_lock_attempt_does_not_release_the_holders_lock() throws Exception {
        Path dataDir = temp.resolve("data");
        DataDir.prepare(dataDir);
        try (DataDir.Lock held = DataDir.lock(dataDir)) {
            assertThatThrownBy(() -> DataDir.lock(dataDir)).isInstanceOf(DataDir.Locked.class);
            assertThatThrownBy(() -> DataDir.lock(dataDir)).isInstanceOf(DataDir.Locked.class);
        }
        DataDir.lock(dataDir).close();
    }

    @Test
    void prepare_creates_the_dir_0700_and_tightens_beacon_files_but_leaves_other_files_alone() throws Exception {
        Path dataDir = temp.resolve("data");
        DataDir.prepare(dataDir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir))).isEqualTo("rwx------");
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path db = Files.writeString(dataDir.resolve("beacon.db"), "");
        Path notes = Files.writeString(dataDir.resolve("notes.txt"), "mine");
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(notes, PosixFilePermissions.fromString("rw-r--r--"));
        DataDir.prepare(dataDir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(db))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(notes))).isEqualTo("rw-r--r--");
    }

    @Test
    void opening_an_existing_database_never_creates_the_file_or_its_directory() {
        Path dataDir = temp.resolve("nowhere");
        assertThatThrownBy(() -> Database.openExisting(Database.sqliteUrl(dataDir)))
                .isInstanceOf(Database.SchemaMismatch.class)
                .satisfies(e -> assertThat(((Database.SchemaMismatch) e).found()).isNull());
        assertThat(dataDir).doesNotExist();
    }
}
