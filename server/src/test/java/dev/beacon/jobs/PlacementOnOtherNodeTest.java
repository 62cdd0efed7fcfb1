package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import dev.beacon.testing.Backend;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JobStatements#insertForOtherNode} on real PostgreSQL: a new job goes, in the statement that stores it, only to
 * a robot of another node that could take it from a dispatch round — connected, idle, not paused, matching the
 * target, and wanted by no queued job — and is queued otherwise. The robots of the submitting node are left to its
 * in-memory registry.
 */
class PlacementOnOtherNodeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);

    @TempDir
    Path dir;
    private String url;
    private Database db;
    private JobStore store;

    @BeforeEach
    void open() {
        url = Backend.POSTGRESQL.createDatabase(dir);
        db = Database.open(url);
        store = new JobStore(db, JSON);
        db.write(tx -> {
            Connection connection = tx.connection();
            Sql.update(connection, "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'acme', 0)");
            Sql.update(connection, "INSERT INTO sites (id, org_id, name, created_at) VALUES ('s1', 'o1', 'lab', 0)");
            Sql.update(connection, "INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES ('f1', 'o1', 's1', 'arms', 0)");
            robot(connection, "here", "node-a", "[\"echo\",\"cam\"]", "{\"zone\":\"a\"}");
            robot(connection, "cam-b", "node-b", "[\"echo\",\"cam\"]", "{\"zone\":\"a\",\"floor\":\"2\"}");
            robot(connection, "paused-b", "node-b", "[\"echo\",\"cam\"]", "{\"zone\":\"a\"}");
            robot(connection, "plain-c", "node-c", "[\"echo\"]", "{}");
            robot(connection, "offline-c", "node-c", "[\"echo\",\"cam\"]", "{\"zone\":\"a\"}");
            Sql.update(connection, "UPDATE robots SET paused_at = 1 WHERE id = 'paused-b'");
            Sql.update(connection, "UPDATE robots SET status = 'offline' WHERE id = 'offline-c'");
            return null;
        });
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
        Backend.dropDatabase(url);
    }

    @Test
    void a_new_job_goes_to_the_idle_matching_robot_of_another_node_in_the_statement_that_stores_it() {
        JobStore.Placement placement = store.insertForOtherNode(job("j1", new Target(null, "f1", null, List.of("cam"), Map.of("zone", "a"))), "node-a");

        assertThat(placement).isEqualTo(new JobStore.Placement("cam-b", "session-cam-b", "node-b"));
        Job stored = store.byId("o1", "j1").orElseThrow();
        assertThat(stored.status()).isEqualTo(JobStatus.ASSIGNED);
        assertThat(stored.robotId()).isEqualTo("cam-b");
        assertThat(stored.sessionId()).isEqualTo("session-cam-b");
        assertThat(stored.attempts()).isEqualTo(1);
        assertThat(robotRow("cam-b")).isEqualTo("busy j1");
    }

    @Test
    void a_job_no_robot_of_another_node_can_take_is_queued_and_claims_nothing() {
        // Only the submitting node's robot, a paused one and an offline one carry the label and the capability.
        assertThat(store.insertForOtherNode(job("j1", new Target(null, null, null, List.of("cam"), Map.of("zone", "b"))), "node-a"))
                .isEqualTo(JobStore.Placement.QUEUED);
        assertThat(store.insertForOtherNode(job("j2", new Target("here", null, null, List.of(), Map.of())), "node-a"))
                .isEqualTo(JobStore.Placement.QUEUED);
        assertThat(store.insertForOtherNode(job("j3", new Target("paused-b", null, null, List.of(), Map.of())), "node-a"))
                .isEqualTo(JobStore.Placement.QUEUED);
        assertThat(store.insertForOtherNode(job("j4", new Target("offline-c", null, null, List.of(), Map.of())), "node-a"))
                .isEqualTo(JobStore.Placement.QUEUED);

        for (String id : List.of("j1", "j2", "j3", "j4")) {
            Job stored = store.byId("o1", id).orElseThrow();
            assertThat(stored.status()).isEqualTo(JobStatus.QUEUED);
            assertThat(stored.attempts()).isZero();
            assertThat(stored.robotId()).isNull();
        }
        assertThat(robotRow("cam-b")).isEqualTo("online null");
        assertThat(robotRow("plain-c")).isEqualTo("online null");
    }

    @Test
    void a_new_job_does_not_take_a_robot_that_a_queued_job_waits_for_but_takes_one_no_queued_job_can_use() {
        Target camera = new Target(null, null, null, List.of("cam"), Map.of());
        assertThat(store.insertForOtherNode(job("j1", camera), "node-a").robotId()).isEqualTo("cam-b");
        assertThat(store.insertForOtherNode(job("j2", camera), "node-a")).isEqualTo(JobStore.Placement.QUEUED); // cam-b is busy
        db.write(tx -> Sql.update(tx.connection(), "UPDATE robots SET status = 'online', current_job_id = NULL WHERE id = 'cam-b'"));

        // j2 waits for cam-b (a round would give it): a newer job must not overtake it there...
        assertThat(store.insertForOtherNode(job("j3", new Target(null, null, null, List.of(), Map.of())), "node-a").robotId())
                .isEqualTo("plain-c"); // ...but plain-c, which j2 cannot use, is fair game.
        assertThat(store.insertForOtherNode(job("j4", new Target(null, null, null, List.of(), Map.of())), "node-a"))
                .isEqualTo(JobStore.Placement.QUEUED);
        assertThat(robotRow("cam-b")).isEqualTo("online null");
    }

    private String robotRow(String id) {
        return db.read(tx -> Sql.first(tx.connection(), "SELECT status, current_job_id FROM robots WHERE id = ?",
                rs -> rs.getString(1) + " " + rs.getString(2), id));
    }

    private static void robot(Connection connection, String id, String node, String capabilities, String labels) {
        Sql.update(connection, """
                        INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status, session_id, node_id, capabilities, labels)
                        VALUES (?, 'o1', 's1', 'f1', ?, 0, 'online', ?, ?, ?, ?)""",
                id, id, "session-" + id, node, capabilities, labels);
    }

    private static Job job(String id, Target target) {
        return new Job(id, "o1", "echo", JSON.createObjectNode(), target, 0, 60, 2, 0, JobStatus.QUEUED, null, null, null, null, null,
                null, "user_1", T0, T0, null, null, null, null, T0);
    }
}
