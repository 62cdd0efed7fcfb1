package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An SQLite database gives the space of deleted rows back: new ones are incremental, old ones after a compaction. */
class SqliteSpaceTest {
    @TempDir
    Path dir;

    @Test
    void a_new_database_is_incremental_before_its_first_table() {
        try (Database db = Database.open(Database.sqliteUrl(dir))) {
            assertThat(SqliteSpace.autoVacuum(db)).isEqualTo(SqliteSpace.INCREMENTAL);
        }
    }

    @Test
    void a_database_file_the_server_created_empty_is_incremental_too() {
        DataDir.createDatabaseFile(dir);
        try (Database db = Database.open(Database.sqliteUrl(dir))) {
            assertThat(SqliteSpace.autoVacuum(db)).isEqualTo(SqliteSpace.INCREMENTAL);
        }
    }

    @Test
    void reclaim_gives_the_pages_of_deleted_rows_back_in_bounded_steps() throws Exception {
        try (Database db = Database.open(Database.sqliteUrl(dir))) {
            db.write(tx -> tx.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"));
            for (int batch = 0; batch < 4; batch++) {
                db.write(tx -> tx.execute("INSERT INTO blobs (body) SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS "
                        + "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT i FROM n)"));
            }
            db.write(tx -> tx.execute("DELETE FROM blobs"));
            SpaceFigures before = SpaceFigures.read(db, List.of("blobs"));
            assertThat(before.freeBytes()).isGreaterThan(300 * 4096.0);

            long first = SqliteSpace.reclaim(db, 50, 2);
            assertThat(first).isEqualTo(100);
            long rest = SqliteSpace.reclaim(db, 10_000, 1);

            SpaceFigures after = SpaceFigures.read(db, List.of("blobs"));
            assertThat(first + rest).isEqualTo((long) (before.freeBytes() / 4096));
            assertThat(after.freeBytes()).isZero();
            assertThat(after.sizeBytes()).isLessThan(before.sizeBytes() - 300 * 4096.0);
            assertThat(after.rowEstimates()).containsEntry("blobs", 0.0);
        }
    }

    @Test
    void compact_makes_an_old_database_incremental() throws Exception {
        String url = Database.sqliteUrl(dir);
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA journal_mode = WAL");
            statement.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)");
            statement.execute("INSERT INTO blobs (body) SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS "
                    + "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) SELECT i FROM n)");
            statement.execute("DELETE FROM blobs");
            assertThat(SqliteSpace.autoVacuum(statement)).isZero();
        }

        SqliteSpace.Compacted compacted = SqliteSpace.compact(url);

        assertThat(compacted.switched()).isTrue();
        assertThat(compacted.bytesAfter()).isLessThan(compacted.bytesBefore() - 150 * 4096L);
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            assertThat(SqliteSpace.autoVacuum(statement)).isEqualTo(SqliteSpace.INCREMENTAL);
        }
    }

    @Test
    void the_wal_stays_small_under_reads_that_never_stop() throws Exception {
        try (Database db = Database.open(Database.sqliteUrl(dir))) {
            db.write(tx -> tx.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"));
            AtomicBoolean writing = new AtomicBoolean(true);
            // Two readers whose read transactions overlap, so that at any moment one of them is inside the WAL.
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(Thread.ofPlatform().start(() -> {
                    while (writing.get()) {
                        db.read(tx -> tx.createQuery("SELECT count(*) FROM blobs WHERE id % 7 = 0").mapTo(Long.class).one());
                    }
                }));
            }
            long largestWal = 0;
            try {
                for (int batch = 0; batch < 60; batch++) {     // 60 × 400 rows of 4 KB: about 100 MB through the WAL
                    db.write(tx -> tx.execute("INSERT INTO blobs (body) SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS "
                            + "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) SELECT i FROM n)"));
                    db.write(tx -> tx.execute("DELETE FROM blobs WHERE id % 2 = 0"));
                    db.checkpoint();
                    largestWal = Math.max(largestWal, walBytes());
                }
            } finally {
                writing.set(false);
                for (Thread reader : readers) {
                    reader.join();
                }
            }

            // Without the restarts, the WAL would hold all of it; with them, a few batches at most.
            assertThat(largestWal).isLessThan(4 * SqliteSpace.REWIND_PAST_BYTES);
        }
    }

    @Test
    void a_long_reader_holds_writes_back_no_longer_than_the_restart_wait() throws Exception {
        try (Database db = Database.open(Database.sqliteUrl(dir))) {
            db.write(tx -> tx.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"));
            try (Connection reader = DriverManager.getConnection(Database.sqliteUrl(dir)); Statement reading = reader.createStatement()) {
                reader.setAutoCommit(false);
                try (ResultSet ignored = reading.executeQuery("SELECT count(*) FROM blobs")) {
                    // the read transaction is open from here, inside the WAL, until the rollback below
                }
                for (int batch = 0; batch < 6; batch++) {      // past REWIND_PAST_BYTES, which the reader keeps from rewinding
                    db.write(tx -> tx.execute("INSERT INTO blobs (body) SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS "
                            + "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT i FROM n)"));
                }
                long started = System.nanoTime();
                Thread checkpointing = Thread.ofPlatform().start(db::checkpoint);
                db.write(tx -> tx.execute("INSERT INTO blobs (body) VALUES (x'00')"));
                checkpointing.join();
                long heldMillis = (System.nanoTime() - started) / 1_000_000;

                // the checkpoint gave up on the reader: the write did not wait the 10-second busy timeout
                assertThat(heldMillis).isLessThan(SqliteSpace.BUSY_TIMEOUT_MILLIS / 2);
                assertThat(walBytes()).isGreaterThan(SqliteSpace.REWIND_PAST_BYTES);
                reader.rollback();
            }
            db.checkpoint();
            long rewound = walBytes();
            db.write(tx -> tx.execute("INSERT INTO blobs (body) VALUES (x'01')"));

            // the first write after the rewind goes to the start of the log, which stays the size it was (under
            // WAL_KEPT_BYTES it is not cut back); without the rewind it would have been appended at the end
            assertThat(rewound).isLessThan(SqliteSpace.WAL_KEPT_BYTES);
            assertThat(walBytes()).isEqualTo(rewound);
        }
    }

    @Test
    void the_writers_rewind_gives_up_on_a_reader_inside_the_log_and_succeeds_once_it_left() throws Exception {
        String url = Database.sqliteUrl(dir);
        try (Connection writer = DriverManager.getConnection(url); Statement writing = writer.createStatement();
             Connection reader = DriverManager.getConnection(url); Statement reading = reader.createStatement()) {
            writing.execute("PRAGMA journal_mode = WAL");
            writing.execute("PRAGMA wal_autocheckpoint = 0");
            writing.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)");
            writing.execute("INSERT INTO blobs (body) VALUES (randomblob(4000))");
            reader.setAutoCommit(false);
            try (ResultSet ignored = reading.executeQuery("SELECT count(*) FROM blobs")) {
                // the read transaction is open from here, inside the WAL, until the rollback below
            }
            writing.execute("INSERT INTO blobs (body) VALUES (randomblob(4000))");

            assertThat(SqliteSpace.restartBetweenWrites(writing)).as("a reader is inside the log").isFalse();

            reader.rollback();
            assertThat(SqliteSpace.restartBetweenWrites(writing)).as("no reader is inside the log").isTrue();
            long rewound = walBytes();
            writing.execute("INSERT INTO blobs (body) VALUES (x'01')");
            assertThat(walBytes()).as("the next write starts the log over").isEqualTo(rewound);
        }
    }

    private long walBytes() throws java.io.IOException {
        Path wal = dir.resolve("beacon.db-wal");
        return Files.exists(wal) ? Files.size(wal) : 0;
    }
}
