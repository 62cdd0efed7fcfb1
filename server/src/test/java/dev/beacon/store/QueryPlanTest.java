package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.testing.Backend;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot statements' PostgreSQL plans use the intended index whatever the statistics say. The database is freshly
 * migrated and filled with rows, never analyzed (autovacuum is off for the tables, so it cannot analyze them
 * mid-test), and every statement is prepared and explained as a generic plan ({@code plan_cache_mode =
 * force_generic_plan}): what pgjdbc's server-side prepared statements may run from their sixth execution on, in the
 * first minute of a new database. With 600 robots in one organization the claim's former name check
 * ({@code SELECT … WHERE org_id = ? AND name = ? AND removed_at IS NULL}) was planned as a walk of
 * {@code robots_org}, every robot of the organization per claim; its replacement must not scan robots at all.
 *
 * <p>The statements are copies of the code's (named at each); a change there must be made here too. PostgreSQL only:
 * SQLite prepares each statement afresh with its own planner.
 */
class QueryPlanTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FINISHED = "status NOT IN ('queued', 'assigned', 'running')";

    @TempDir
    Path dir;
    private String url;
    private Connection connection;

    @BeforeEach
    void freshDatabaseWithoutStatistics() throws SQLException {
        url = Backend.POSTGRESQL.createDatabase(dir);
        Database.open(url).close();
        connection = DriverManager.getConnection(url);
        for (String table : List.of("robots", "robot_connections", "jobs", "audit_events")) {
            execute("ALTER TABLE " + table + " SET (autovacuum_enabled = false)");
        }
        execute("INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'acme', 0), ('o2', 'other', 0)");
        execute("INSERT INTO sites (id, org_id, name, created_at) VALUES ('s1', 'o1', 'lab', 0)");
        execute("INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES ('f1', 'o1', 's1', 'arms', 0)");
        execute("""
                INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at)
                SELECT 'rob' || g, 'o1', 's1', 'f1', 'robot-' || g, g FROM generate_series(1, 600) g""");
        execute("""
                INSERT INTO robot_connections (id, robot_id, session_id, connected_at, disconnected_at)
                SELECT 'con' || g, 'rob' || (g % 600 + 1), 'ses' || g, g, g + 1 FROM generate_series(1, 5000) g""");
        // Mostly finished jobs with output, every tenth still queued: the pruner's and the dispatcher's rows.
        execute("""
                INSERT INTO jobs (id, org_id, kind, payload, timeout_s, max_attempts, attempts, status, output, created_at,
                                  queued_at, finished_at, updated_at)
                SELECT 'job' || g, 'o1', 'echo', '{}', 300, 3, 1, CASE WHEN g % 10 = 0 THEN 'queued' ELSE 'succeeded' END,
                       '{"ok":true}', g, g, CASE WHEN g % 10 = 0 THEN NULL ELSE g END, g
                FROM generate_series(1, 5000) g""");
        execute("""
                INSERT INTO audit_events (id, org_id, actor_type, action, created_at)
                SELECT 'aud' || g, 'o1', 'system', 'test.event', g FROM generate_series(1, 5000) g""");
        execute("SET plan_cache_mode = force_generic_plan");
    }

    @AfterEach
    void dropDatabase() throws SQLException {
        if (connection != null) {
            connection.close();
        }
        Backend.dropDatabase(url);
    }

    /** RobotStore.insertIfNameFree: the unique index is the name check, so the plan reads nothing of robots. */
    @Test
    void the_claims_insert_checks_the_name_on_robots_live_name_without_reading_robots() throws Exception {
        JsonNode plan = plan("""
                        INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrollment_key_id, enrolled_at, status,
                                            ip, hostname, os, arch, agent_version, capabilities, labels)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'offline', ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (org_id, name) WHERE removed_at IS NULL DO NOTHING""",
                "'rob-new'", "'o1'", "'s1'", "'f1'", "'robot-7'", "NULL", "1", "'10.0.0.1'", "'h'", "'linux'", "'amd64'", "'1.0'",
                "'[]'", "'{}'");

        assertThat(plan.get("Conflict Resolution").asText()).isEqualTo("NOTHING");
        assertThat(plan.get("Conflict Arbiter Indexes")).containsExactly(JSON.getNodeFactory().textNode("robots_live_name"));
        assertThat(scans(plan)).isEmpty();
    }

    /** RetentionStore.prune, each kind with a time index: that index picks the batch, the primary key finds its rows. */
    @Test
    void each_prune_batch_walks_its_time_index_and_probes_the_primary_key() throws Exception {
        assertThat(scans(plan("DELETE FROM jobs WHERE id = ANY (ARRAY(SELECT id FROM jobs WHERE finished_at < ? AND " + FINISHED
                        + " ORDER BY finished_at LIMIT ?)) AND finished_at < ? AND " + FINISHED, "4000", "500", "4000")))
                .containsExactlyInAnyOrder("jobs_finished", "jobs_pkey");
        assertThat(scans(plan("UPDATE jobs SET output = NULL WHERE id = ANY (ARRAY(SELECT id FROM jobs WHERE finished_at < ?"
                        + " AND output IS NOT NULL AND " + FINISHED + " ORDER BY finished_at LIMIT ?)) AND finished_at < ? AND " + FINISHED,
                "4000", "500", "4000")))
                .containsExactlyInAnyOrder("jobs_finished_output", "jobs_pkey");
        assertThat(scans(plan("DELETE FROM audit_events WHERE id = ANY (ARRAY(SELECT id FROM audit_events WHERE created_at < ?"
                        + " ORDER BY created_at LIMIT ?)) AND created_at < ?", "4000", "500", "4000")))
                .containsExactlyInAnyOrder("audit_events_created", "audit_events_pkey");
        assertThat(scans(plan("DELETE FROM robot_connections WHERE id = ANY (ARRAY(SELECT id FROM robot_connections"
                        + " WHERE disconnected_at < ? ORDER BY disconnected_at LIMIT ?)) AND disconnected_at < ?", "4000", "500", "4000")))
                .containsExactlyInAnyOrder("robot_connections_closed", "robot_connections_pkey");
    }

    /** JobStore.queued and JobStore.byId: the head of an organization's queue, and one job. */
    @Test
    void the_dispatchers_reads_use_the_queue_index_and_the_key() throws Exception {
        assertThat(scans(plan("SELECT * FROM jobs WHERE org_id = ? AND status = 'queued' ORDER BY priority DESC, created_at, id LIMIT ?",
                "'o1'", "100")))
                .containsExactly("jobs_queue");
        assertThat(scans(plan("SELECT * FROM jobs WHERE org_id = ? AND id = ?", "'o1'", "'job17'")))
                .singleElement().isIn("jobs_org", "jobs_pkey");
    }

    /**
     * PostgresJobStatements.CLAIM_ON_OTHER_NODE's search for an idle robot of another node: among the connected
     * robots only (robots_connected), never a walk of the organization's robots, offline ones included.
     */
    @Test
    void the_handover_looks_for_an_idle_robot_among_the_connected_ones() throws Exception {
        List<String> scans = scans(plan("""
                        SELECT r.id FROM robots r
                        WHERE r.org_id = ? AND r.status = 'online' AND r.current_job_id IS NULL AND r.paused_at IS NULL
                          AND r.removed_at IS NULL AND r.session_id IS NOT NULL AND r.node_id <> ?
                          AND r.capabilities::jsonb @> ?::jsonb AND (r.labels::jsonb || r.operator_labels::jsonb) @> ?::jsonb
                        LIMIT 1 FOR UPDATE OF r SKIP LOCKED""", "'o1'", "'node_a'", "'[\"echo\"]'", "'{}'"));

        assertThat(scans).containsExactly("robots_connected");
    }

    /** JobStore.waits: the last hour's assignments of one organization come from jobs_assigned alone, no job row read. */
    @Test
    void the_queue_waits_walk_only_the_assigned_index() throws Exception {
        List<String> scans = scans(plan("""
                        SELECT g.kind AS kind, r.fleet_id AS fleet_id, SUM(g.n) AS n, SUM(g.total) AS total
                        FROM (SELECT kind, robot_id, COUNT(*) AS n, SUM(assigned_at - queued_at) AS total FROM jobs
                              WHERE org_id = ? AND assigned_at >= ? AND assigned_at >= queued_at
                              GROUP BY kind, robot_id) g
                        LEFT JOIN robots r ON r.id = g.robot_id
                        GROUP BY g.kind, r.fleet_id""", "'o1'", "4000"));

        assertThat(scans).contains("jobs_assigned").noneMatch(scan -> scan.startsWith("jobs_") && !scan.equals("jobs_assigned"))
                .doesNotContain("Seq Scan on jobs");
    }

    /**
     * The generic plan of {@code sql} (its {@code ?} numbered as PostgreSQL's parameters) for these literal
     * arguments: the top plan node of {@code EXPLAIN (FORMAT JSON) EXECUTE}.
     */
    private JsonNode plan(String sql, String... arguments) throws SQLException {
        StringBuilder numbered = new StringBuilder();
        int parameter = 0;
        for (char c : sql.toCharArray()) {
            numbered.append(c == '?' ? "$" + ++parameter : String.valueOf(c));
        }
        assertThat(arguments).hasSize(parameter);
        execute("DEALLOCATE ALL");
        execute("PREPARE hot AS " + numbered);
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("EXPLAIN (FORMAT JSON) EXECUTE hot(" + String.join(", ", arguments) + ")")) {
            rs.next();
            return readTree(rs.getString(1)).get(0).get("Plan");
        }
    }

    /**
     * Every index the plan scans (plain, index-only or bitmap) by name, and every sequential scan as
     * {@code "Seq Scan on table"}, so an assertion on the exact list also fails on any scan nobody expected.
     */
    private static List<String> scans(JsonNode plan) {
        List<String> scans = new ArrayList<>();
        collect(plan, scans);
        return scans;
    }

    private static void collect(JsonNode node, List<String> scans) {
        if (node.has("Index Name")) {
            scans.add(node.get("Index Name").asText());
        } else if (node.get("Node Type").asText().equals("Seq Scan")) {
            scans.add("Seq Scan on " + node.get("Relation Name").asText());
        }
        for (JsonNode child : node.path("Plans")) {
            collect(child, scans);
        }
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
