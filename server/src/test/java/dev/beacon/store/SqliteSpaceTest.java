package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
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
}
