package dev.beacon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beacon.testing.Backend;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Database#read} and {@link Database#write} on real SQLite and PostgreSQL: every kind of commit keeps what
 * returned and undoes what threw, plain JDBC and Jdbi on one {@link Tx} share its transaction, and SQLite's writer
 * keeps its temporary storage in memory.
 */
class DatabaseTest {
    @TempDir
    Path dir;
    private String url;

    @AfterEach
    void dropDatabase() {
        Backend.dropDatabase(url);
    }

    private Database open(Backend backend) {
        url = backend.createDatabase(dir);
        Database db = Database.open(url == null ? Database.sqliteUrl(dir) : url);
        db.write(tx -> tx.createUpdate("CREATE TABLE notes (id TEXT PRIMARY KEY)").execute());
        return db;
    }

    private static List<String> notes(Database db) {
        return db.read(tx -> tx.createQuery("SELECT id FROM notes ORDER BY id").mapTo(String.class).list());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyKindOfWriteKeepsWhatReturnedAndUndoesWhatThrew(Backend backend) {
        try (Database db = open(backend)) {
            for (Database.Commit commit : Database.Commit.values()) {
                db.write(commit, tx -> Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES (?)", "kept-" + commit));
                if (commit == Database.Commit.ONE_STATEMENT || commit == Database.Commit.GROUPED_WITHOUT_SAVEPOINT) {
                    // Its work is one statement, atomic by itself, or writes nothing before it throws: a statement that
                    // fails changes nothing.
                    assertThrows(Sql.DatabaseException.class, () -> db.write(commit, tx -> Sql.update(tx.connection(),
                            "INSERT INTO notes (id) VALUES (?), (?)", "undone-" + commit, "kept-" + commit)));
                    continue;
                }
                IllegalStateException refused = new IllegalStateException("refused");
                IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> db.write(commit, tx -> {
                    Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES (?)", "undone-" + commit);
                    throw refused;
                }));
                assertSame(refused, thrown);
            }
            assertEquals(List.of("kept-GROUPED", "kept-GROUPED_WITHOUT_SAVEPOINT", "kept-ONE_STATEMENT", "kept-TRANSACTION"), notes(db));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void jdbcAndJdbiInOneWriteShareItsTransaction(Backend backend) {
        try (Database db = open(backend)) {
            assertThrows(IllegalStateException.class, () -> db.write(tx -> {
                Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES (?)", "a");
                tx.createUpdate("INSERT INTO notes (id) VALUES ('b')").execute();
                long seen = tx.createQuery("SELECT COUNT(*) FROM notes").mapTo(Long.class).one();
                String first = Sql.first(tx.connection(), "SELECT MIN(id) FROM notes", rs -> rs.getString(1));
                assertEquals(2, seen);
                assertEquals("a", first);
                throw new IllegalStateException("undo both");
            }));
            assertEquals(List.of(), notes(db));
        }
    }

    /** Grouped writes racing each other: the ones that throw roll back only themselves (their savepoint). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aGroupedWriteThatThrowsUndoesOnlyItself(Backend backend) throws Exception {
        try (Database db = open(backend); ExecutorService threads = Executors.newFixedThreadPool(8)) {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String id = String.format("n%02d", i);
                boolean fails = i % 3 == 0;
                writes.add(threads.submit(() -> db.write(Database.Commit.GROUPED, tx -> {
                    Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES (?)", id);
                    if (fails) {
                        throw new IllegalStateException(id);
                    }
                    return null;
                })));
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < writes.size(); i++) {
                if (i % 3 == 0) {
                    assertThrows(Exception.class, writes.get(i)::get);
                } else {
                    writes.get(i).get();
                    expected.add(String.format("n%02d", i));
                }
            }
            assertEquals(expected, notes(db));
        }
    }

    /**
     * Grouped writes without savepoints racing each other: one that throws before it writes is refused alone; one whose
     * statement fails (on PostgreSQL that aborts the whole batch's transaction) fails alone too, and the others of its
     * batch keep their work.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aGroupedWriteWithoutSavepointThatFailsUndoesOnlyItself(Backend backend) throws Exception {
        try (Database db = open(backend); ExecutorService threads = Executors.newFixedThreadPool(8)) {
            db.write(tx -> Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES ('n00')"));
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String id = String.format("n%02d", i % 5 == 0 ? 0 : i); // every fifth one is taken: its statement fails
                boolean refused = i % 7 == 3;
                writes.add(threads.submit(() -> db.write(Database.Commit.GROUPED_WITHOUT_SAVEPOINT, tx -> {
                    if (refused) {
                        throw new IllegalStateException(id);
                    }
                    return Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES (?)", id);
                })));
            }
            List<String> expected = new ArrayList<>(List.of("n00"));
            for (int i = 0; i < writes.size(); i++) {
                if (i % 7 == 3) {
                    ExecutionException failed = assertThrows(ExecutionException.class, writes.get(i)::get);
                    assertTrue(failed.getCause() instanceof IllegalStateException, failed.getCause().toString());
                } else if (i % 5 == 0) {
                    ExecutionException failed = assertThrows(ExecutionException.class, writes.get(i)::get);
                    assertTrue(Database.isUniqueViolation(failed.getCause()), failed.getCause().toString());
                } else {
                    writes.get(i).get();
                    expected.add(String.format("n%02d", i));
                }
            }
            assertEquals(expected, notes(db));
        }
    }

    /**
     * Grouped writes that each take one use of a hot row last ({@link Tx#takeLast}) never take more uses than the row
     * has: with 10 uses left, of 64 racing writes exactly 10 keep their work, however the batches fall (on PostgreSQL
     * a batch takes its uses in one statement before it commits, and runs its writes again alone when too few are left).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void groupedWritesTakingTheUsesOfOneRowNeverTakeMoreThanItHas(Backend backend) throws Exception {
        try (Database db = open(backend); ExecutorService threads = Executors.newFixedThreadPool(8)) {
            db.write(tx -> tx.createUpdate("CREATE TABLE counters (id TEXT PRIMARY KEY, uses INTEGER NOT NULL, max_uses INTEGER NOT NULL)").execute());
            db.write(tx -> tx.createUpdate("INSERT INTO counters (id, uses, max_uses) VALUES ('k', 0, 10)").execute());
            Tx.Uses take = (connection, count) -> Sql.update(connection,
                    "UPDATE counters SET uses = uses + ? WHERE id = 'k' AND uses + ? <= max_uses", count, count) == 1;
            List<Future<Boolean>> writes = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String id = String.format("n%02d", i);
                writes.add(threads.submit(() -> db.write(Database.Commit.GROUPED, tx -> {
                    Sql.update(tx.connection(), "INSERT INTO notes (id) VALUES (?)", id);
                    if (!tx.takeLast("counters:k", take)) {
                        throw new IllegalStateException("spent");
                    }
                    return true;
                })));
            }
            int kept = 0;
            for (Future<Boolean> write : writes) {
                try {
                    kept += write.get() ? 1 : 0;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertEquals("spent", e.getCause().getMessage());
                }
            }
            assertEquals(10, kept);
            assertEquals(10, notes(db).size());
            int uses = db.read(tx -> tx.createQuery("SELECT uses FROM counters WHERE id = 'k'").mapTo(Integer.class).one());
            assertEquals(10, uses);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aFailedStatementReachesTheCallerAsADatabaseException(Backend backend) {
        try (Database db = open(backend)) {
            Sql.DatabaseException failed = assertThrows(Sql.DatabaseException.class,
                    () -> db.read(tx -> tx.connection().createStatement().executeQuery("SELECT * FROM no_such_table")));
            assertInstanceOf(SQLException.class, failed.getCause());
        }
    }

    /**
     * Each caller's work in a batch of the SQLite writer runs in a savepoint, whose journal SQLite spills to a temporary
     * file past 64 KiB unless temporary storage is memory: a file created, written and deleted per batch. Readers keep
     * the default, so that a large sort spills to disk rather than to memory.
     */
    @Test
    void theSqliteWriterKeepsTemporaryStorageInMemoryAndTheReadersOnDisk() {
        try (Database db = open(Backend.SQLITE)) {
            Integer writer = db.write(tx -> Sql.first(tx.connection(), "PRAGMA temp_store", row -> row.getInt(1)));
            Integer reader = db.read(tx -> tx.createQuery("PRAGMA temp_store").mapTo(Integer.class).one());
            Integer memory = 2; // PRAGMA temp_store: 0 the build's default (files here), 1 file, 2 memory
            Integer buildDefault = 0;
            assertEquals(memory, writer);
            assertEquals(buildDefault, reader);
        }
    }
}
