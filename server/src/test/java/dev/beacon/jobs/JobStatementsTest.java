package dev.beacon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import dev.beacon.testing.Backend;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two dialects' {@link JobStatements} behave the same: one sequence of inserts, claims and settles (success,
 * failure, a lost robot that requeues the job, a late result, a shutdown that requeues the job and gives its attempt
 * back) runs on real SQLite and real PostgreSQL, and every
 * result and every row left behind must be identical.
 */
class JobStatementsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);

    @Test
    void bothDialectsGiveTheSameResultsAndRows(@TempDir Path sqliteDir, @TempDir Path postgresDir) {
        List<String> sqlite = transcript(Backend.SQLITE, sqliteDir, false);
        List<String> postgres = transcript(Backend.POSTGRESQL, postgresDir, false);
        assertEquals(sqlite, postgres);
        // Not merely equal: the sequence did what it should.
        assertEquals(List.of(
                "insert j1 ASSIGNED", "insert j2 ROBOT_UNAVAILABLE", "insert j3 ROBOT_UNAVAILABLE", "duplicate key refused",
                "settle j1 succeeded", "assign [ASSIGNED, ROBOT_UNAVAILABLE]", "settle j2 failed", "assign [ASSIGNED]",
                "settle j3 queued", "late result empty", "late success empty", "assign [ASSIGNED]", "interrupt j3 queued",
                "assign [ASSIGNED]"), sqlite.subList(0, 14));
        // j3 (max_attempts 2) was lost once, interrupted once: the interruption did not count, so it could be claimed again.
        assertTrue(sqlite.getLast().contains("attempts=2"), sqlite.getLast());
    }

    /** The portable (SQLite) statements give the same on PostgreSQL too, so either is a reference for the other. */
    @Test
    void portableStatementsOnPostgresqlMatchItsOwn(@TempDir Path ownDir, @TempDir Path portableDir) {
        assertEquals(transcript(Backend.POSTGRESQL, ownDir, false), transcript(Backend.POSTGRESQL, portableDir, true));
    }

    /** Runs the sequence on a fresh database; returns each step's result, then every robot and job row. */
    private static List<String> transcript(Backend backend, Path dir, boolean portable) {
        String url = backend.createDatabase(dir);
        try (Database db = Database.open(url == null ? Database.sqliteUrl(dir) : url)) {
            seed(db);
            JobRows rows = new JobRows(JSON);
            JobStatements statements = portable ? new SqliteJobStatements(db, rows) : JobStatements.of(db, rows);
            JobStore store = new JobStore(db, JSON);
            List<String> steps = new ArrayList<>();
            JobStore.Pair r1 = new JobStore.Pair(null, "r1", "s1");

            steps.add("insert j1 " + statements.insert(job("j1", "k1", 2, 0), r1));
            steps.add("insert j2 " + statements.insert(job("j2", "k2", 1, 1), r1)); // r1 is busy
            steps.add("insert j3 " + statements.insert(job("j3", null, 2, 2), null));
            RuntimeException duplicate = assertThrows(RuntimeException.class, () -> statements.insert(job("j4", "k1", 1, 3), null));
            assertTrue(Database.isUniqueViolation(duplicate));
            steps.add("duplicate key refused");

            steps.add("settle j1 " + settled(store, statements.settle("j1", "s1",
                    new Transition.Event.Result(JobStatus.SUCCEEDED, TextNode.valueOf("ok"), 0, null), at(10), at(5))));
            steps.add("assign " + store.assignAll(List.of(new JobStore.Pair("j2", "r1", "s1"), new JobStore.Pair("j3", "r2", "s2")),
                    at(20)));
            store.accepted(List.of(new JobStore.Accept("j2", "s1", at(21))));
            steps.add("settle j2 " + settled(store, statements.settle("j2", "s1",
                    new Transition.Event.Result(JobStatus.FAILED, IntNode.valueOf(7), 3, "boom"), at(30), null)));
            steps.add("assign " + store.assignAll(List.of(new JobStore.Pair("j3", "r1", "s1")), at(40)));
            steps.add("settle j3 " + settled(store, statements.settle("j3", "s1", new Transition.Event.Lost("robot r1 disconnected"),
                    at(50), null)));
            steps.add("late result " + statements.settle("j3", "s1",
                    new Transition.Event.Result(JobStatus.FAILED, null, 1, null), at(60), null).map(job -> job.status().wireName()).orElse("empty"));
            steps.add("late success " + statements.settle("j1", "s1",
                    new Transition.Event.Result(JobStatus.SUCCEEDED, null, 0, null), at(60), null).map(job -> job.status().wireName()).orElse("empty"));
            steps.add("assign " + store.assignAll(List.of(new JobStore.Pair("j3", "r1", "s1")), at(70)));
            steps.add("interrupt j3 " + settled(store, statements.settle("j3", "s1",
                    new Transition.Event.Interrupted("the server holding robot r1 shut down before the job ended"), at(80), null)));
            steps.add("assign " + store.assignAll(List.of(new JobStore.Pair("j3", "r1", "s1")), at(90)));

            steps.addAll(db.read(tx -> {
                Connection connection = tx.connection();
                List<String> robots = new ArrayList<>();
                for (String id : List.of("r1", "r2")) {
                    robots.add(Sql.first(connection, "SELECT id, status, current_job_id FROM robots WHERE id = ?",
                            rs -> rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3), id));
                }
                return robots;
            }));
            for (String id : List.of("j1", "j2", "j3")) {
                steps.add(store.byId("o1", id).orElseThrow().toString());
            }
            return steps;
        } finally {
            Backend.dropDatabase(url);
        }
    }

    /** The settled job's status, after checking that what settle returned is the row as stored. */
    private static String settled(JobStore store, Optional<Job> settled) {
        Job job = settled.orElseThrow();
        assertEquals(store.byId(job.orgId(), job.id()).orElseThrow(), job);
        return job.status().wireName();
    }

    private static Job job(String id, String idempotencyKey, int maxAttempts, int second) {
        Instant created = at(second);
        return new Job(id, "o1", "echo", JSON.createObjectNode().put("n", second),
                new Target(null, "f1", null, List.of("cam"), Map.of("zone", "a")), 0, 60, maxAttempts, 0, JobStatus.QUEUED, null, null,
                idempotencyKey, null, null, null, "user_1", created, created, null, null, null, null, created);
    }

    private static Instant at(int second) {
        return T0.plusSeconds(second);
    }

    private static void seed(Database db) {
        db.write(tx -> {
            Connection connection = tx.connection();
            Sql.update(connection, "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'acme', 0)");
            Sql.update(connection, "INSERT INTO sites (id, org_id, name, created_at) VALUES ('s1', 'o1', 'lab', 0)");
            Sql.update(connection, "INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES ('f1', 'o1', 's1', 'arms', 0)");
            for (String robot : List.of("r1", "r2")) {
                Sql.update(connection, """
                                INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status, session_id)
                                VALUES (?, 'o1', 's1', 'f1', ?, 0, 'online', ?)""",
                        robot, robot, robot.equals("r1") ? "s1" : "s2");
            }
            // r2 is paused: it cannot be claimed.
            Sql.update(connection, "UPDATE robots SET paused_at = 1 WHERE id = 'r2'");
            return null;
        });
    }
}
