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
 * Operator labels in the one dispatch decision made in SQL, {@link JobStatements#insertForOtherNode} on real
 * PostgreSQL (several nodes): a robot's labels there are its agent's overlaid with its operator's, the operator
 * winning on a key both set, both when a new job picks a robot and when a queued job keeps a robot for itself.
 */
class OperatorLabelPlacementTest {
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
            robot(connection, "moved-b", "node-b", "{\"zone\":\"a\"}", "{\"zone\":\"b\"}");
            robot(connection, "fast-c", "node-c", "{}", "{\"lane\":\"fast\"}");
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
    void a_new_job_matches_the_labels_an_operator_set_over_the_agents() {
        assertThat(store.insertForOtherNode(job("j1", Map.of("zone", "a")), "node-a"))
                .as("the agent says zone=a, the operator zone=b").isEqualTo(JobStore.Placement.QUEUED);
        assertThat(store.insertForOtherNode(job("j2", Map.of("zone", "b")), "node-a").robotId()).isEqualTo("moved-b");
        assertThat(store.insertForOtherNode(job("j3", Map.of("lane", "fast")), "node-a").robotId()).isEqualTo("fast-c");
    }

    @Test
    void a_queued_job_keeps_the_robot_whose_operator_label_it_waits_for() {
        assertThat(store.insertForOtherNode(job("j1", Map.of("lane", "fast")), "node-a").robotId()).isEqualTo("fast-c");
        assertThat(store.insertForOtherNode(job("j2", Map.of("lane", "fast")), "node-a")).isEqualTo(JobStore.Placement.QUEUED);
        db.write(tx -> Sql.update(tx.connection(), "UPDATE robots SET status = 'online', current_job_id = NULL WHERE id = 'fast-c'"));

        // j2 waits for fast-c through its operator label: a job for any robot takes moved-b, never fast-c.
        assertThat(store.insertForOtherNode(job("j3", Map.of()), "node-a").robotId()).isEqualTo("moved-b");
        assertThat(store.insertForOtherNode(job("j4", Map.of()), "node-a")).isEqualTo(JobStore.Placement.QUEUED);
    }

    private static void robot(Connection connection, String id, String node, String labels, String operatorLabels) {
        Sql.update(connection, """
                        INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status, session_id, node_id, capabilities,
                                            labels, operator_labels)
                        VALUES (?, 'o1', 's1', 'f1', ?, 0, 'online', ?, ?, '["echo"]', ?, ?)""",
                id, id, "session-" + id, node, labels, operatorLabels);
    }

    private static Job job(String id, Map<String, String> labels) {
        return new Job(id, "o1", "echo", JSON.createObjectNode(), new Target(null, null, null, List.of(), labels), 0, 60, 2, 0,
                JobStatus.QUEUED, null, null, null, null, null, null, "user_1", T0, T0, null, null, null, null, T0);
    }
}
