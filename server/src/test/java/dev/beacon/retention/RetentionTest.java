package dev.beacon.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.TestServer;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The retention pruner on both databases, with the default settings and a clock the tests move: history past its
 * retention goes, nothing younger, and nothing still queued or running; pruning beside job submits loses none of them;
 * on PostgreSQL a node that finds another pruning skips its run.
 */
@BeaconTest
class RetentionTest implements BeaconServerExtension.ConfiguresServer {
    static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(T0);
    HistoryRows rows;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock);
    }

    @BeforeEach
    void open() throws Exception {
        rows = new HistoryRows(server);
    }

    @AfterEach
    void close() throws Exception {
        rows.close();
    }

    private Pruner.Run.Pruned prune() {
        Pruner.Run run = server.server().pruner().runOnce();
        assertThat(run).isInstanceOf(Pruner.Run.Pruned.class);
        return (Pruner.Run.Pruned) run;
    }

    @Test
    void finished_jobs_past_30_days_disappear_and_younger_queued_or_running_ones_stay() throws Exception {
        String old = rows.job("succeeded", T0, T0, "{\"ok\":true}");
        String oldCancelled = rows.job("cancelled", T0, T0, null);
        String younger = rows.job("failed", T0, T0.plus(Duration.ofDays(1)), null);
        String queued = rows.job("queued", T0, null, null);
        String running = rows.job("running", T0, null, null);
        String assigned = rows.job("assigned", T0, null, null);

        clock.advance(Duration.ofDays(29));
        assertThat(prune().rows().get(Kind.JOBS)).isZero();
        clock.advance(Duration.ofDays(2)); // 31 days after T0: the younger one finished exactly 30 days ago
        Pruner.Run.Pruned run = prune();

        assertThat(run.rows().get(Kind.JOBS)).isEqualTo(2);
        assertThat(server.get("/api/jobs/" + old, server.adminKey()).status()).isEqualTo(404);
        assertThat(server.get("/api/jobs/" + oldCancelled, server.adminKey()).status()).isEqualTo(404);
        for (String kept : List.of(younger, queued, running, assigned)) {
            assertThat(rows.exists("jobs", kept)).as(kept).isTrue();
        }
        assertThat(server.get("/api/jobs/" + queued, server.adminKey()).status()).isEqualTo(200);
        String metrics = server.get("/metrics", null).body();
        assertThat(metrics).containsPattern("beacon_retention_pruned_total\\{[^}]*kind=\"jobs\"[^}]*} 2\\.0");
        assertThat(metrics).containsPattern("beacon_retention_last_run_timestamp_seconds\\{[^}]*} [1-9]");
    }

    @Test
    void a_job_output_is_cleared_after_7_days_while_the_job_stays() throws Exception {
        String old = rows.job("succeeded", T0, T0, "{\"old\":1}");
        String younger = rows.job("succeeded", T0, T0.plus(Duration.ofDays(2)), "{\"young\":1}");

        clock.advance(Duration.ofDays(8));
        Pruner.Run.Pruned run = prune();

        assertThat(run.rows().get(Kind.JOB_OUTPUT)).isEqualTo(1);
        assertThat(run.rows().get(Kind.JOBS)).isZero();
        TestServer.Response job = server.get("/api/jobs/" + old, server.adminKey());
        assertThat(job.status()).isEqualTo(200);
        assertThat(job.json().get("status").asText()).isEqualTo("succeeded");
        assertThat(job.json().path("output").isNull() || job.json().path("output").isMissingNode()).as(job.body()).isTrue();
        assertThat(rows.output(younger)).isEqualTo("{\"young\":1}");
        assertThat(prune().rows().get(Kind.JOB_OUTPUT)).as("a second run finds nothing more").isZero();
    }

    @Test
    void audit_connections_tokens_and_keys_past_their_retention_go_and_keys_a_robot_names_stay() throws Exception {
        String oldEvent = rows.auditEvent(T0);
        String usedKey = rows.enrollmentKey(T0, T0.plus(Duration.ofDays(1)), T0);
        String deadKey = rows.enrollmentKey(T0, T0.plus(Duration.ofDays(1)), null);
        String revokedKey = rows.enrollmentKey(T0, T0.plus(Duration.ofDays(1000)), T0);
        String liveKey = rows.enrollmentKey(T0, T0.plus(Duration.ofDays(1000)), null);
        String robot = rows.robot(usedKey, T0);
        String closed = rows.connection(robot, T0, T0.plus(Duration.ofHours(1)));
        String open = rows.connection(robot, T0, null);
        String revoked = rows.token(robot, T0, T0, null);
        String expiredRotation = rows.token(robot, T0, null, T0.plus(Duration.ofMinutes(10)));
        String live = rows.token(robot, T0, null, null);

        clock.advance(Duration.ofDays(366));
        String recentEvent = rows.auditEvent(clock.instant().minus(Duration.ofDays(1)));
        String recentlyRevoked = rows.token(robot, T0, clock.instant().minus(Duration.ofDays(89)), null);
        Pruner.Run.Pruned run = prune();

        assertThat(rows.exists("audit_events", oldEvent)).isFalse();
        assertThat(rows.exists("audit_events", recentEvent)).isTrue();
        assertThat(rows.exists("robot_connections", closed)).isFalse();
        assertThat(rows.exists("robot_connections", open)).isTrue();
        assertThat(rows.exists("robot_tokens", revoked)).isFalse();
        assertThat(rows.exists("robot_tokens", expiredRotation)).isFalse();
        assertThat(rows.exists("robot_tokens", live)).isTrue();
        assertThat(rows.exists("robot_tokens", recentlyRevoked)).isTrue();
        assertThat(rows.exists("enrollment_keys", deadKey)).isFalse();
        assertThat(rows.exists("enrollment_keys", revokedKey)).isFalse();
        assertThat(rows.exists("enrollment_keys", usedKey)).as("a robot enrolled with it").isTrue();
        assertThat(rows.exists("enrollment_keys", liveKey)).isTrue();
        assertThat(run.rows().get(Kind.ROBOT_TOKENS)).isEqualTo(2);
        assertThat(run.rows().get(Kind.ENROLLMENT_KEYS)).isEqualTo(2);
        assertThat(run.rows().get(Kind.CONNECTIONS)).isEqualTo(1);
    }

    @Test
    void pruning_in_batches_while_jobs_are_submitted_and_enrollments_claimed_loses_none_of_them() throws Exception {
        int old = Pruner.BATCH * 2 + 37;
        int deadKeys = 30;
        rows.connection().setAutoCommit(false);
        for (int i = 0; i < old; i++) {
            rows.job("succeeded", T0, T0, "{}");
        }
        for (int i = 0; i < deadKeys; i++) {
            rows.enrollmentKey(T0, T0.plus(Duration.ofDays(1)), null);
        }
        rows.connection().commit();
        rows.connection().setAutoCommit(true);
        clock.advance(Duration.ofDays(100));
        String key = server.enrollmentKey(20).get("key_value").asText();

        ConcurrentLinkedQueue<String> submitted = new ConcurrentLinkedQueue<>();
        List<String> refused = new ArrayList<>();
        Thread submitter = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 40; i++) {
                TestServer.Response response = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":" + i + "}", server.adminKey());
                if (response.status() == 202) {
                    submitted.add(response.json().get("id").asText());
                } else {
                    synchronized (refused) {
                        refused.add(response.status() + " " + response.body());
                    }
                }
            }
        });
        ConcurrentLinkedQueue<String> enrolled = new ConcurrentLinkedQueue<>();
        Thread enroller = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 20; i++) {
                TestServer.Response response = server.claim(key, "pruned-while-" + i);
                if (response.status() == 201) {
                    enrolled.add(response.json().get("robot_id").asText());
                } else {
                    synchronized (refused) {
                        refused.add(response.status() + " " + response.body());
                    }
                }
            }
        });
        long pruned = 0;
        long keysPruned = 0;
        while (submitter.isAlive() || enroller.isAlive()) {
            Pruner.Run.Pruned run = prune();
            pruned += run.rows().get(Kind.JOBS);
            keysPruned += run.rows().get(Kind.ENROLLMENT_KEYS);
            Thread.sleep(10);
        }
        submitter.join();
        enroller.join();
        pruned += prune().rows().get(Kind.JOBS);

        assertThat(refused).isEmpty();
        assertThat(pruned).isEqualTo(old);
        assertThat(keysPruned).isEqualTo(deadKeys);
        assertThat(enrolled).hasSize(20);
        for (String robotId : enrolled) {
            assertThat(server.get("/api/robots/" + robotId, server.adminKey()).status()).as(robotId).isEqualTo(200);
        }
        assertThat(submitted).hasSize(40);
        for (String id : submitted) {
            assertThat(server.get("/api/jobs/" + id, server.adminKey()).status()).as(id).isEqualTo(200);
        }
        try (Statement statement = rows.connection().createStatement();
             ResultSet count = statement.executeQuery("SELECT COUNT(*) FROM jobs")) {
            count.next();
            assertThat(count.getLong(1)).isEqualTo(40);
        }
    }

    @Test
    void on_postgresql_a_node_skips_its_run_while_another_holds_the_pruning_lock() throws Exception {
        Assumptions.assumeTrue(backend == Backend.POSTGRESQL, "one server per SQLite database: nothing to share");
        rows.job("succeeded", T0, T0, null);
        clock.advance(Duration.ofDays(31));
        try (Statement statement = rows.connection().createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + Pruner.LOCK_KEY + ")");
            assertThat(server.server().pruner().runOnce()).isInstanceOf(Pruner.Run.Busy.class);
            statement.execute("SELECT pg_advisory_unlock(" + Pruner.LOCK_KEY + ")");
        }
        assertThat(prune().rows().get(Kind.JOBS)).isEqualTo(1);
    }

    @Test
    void on_postgresql_without_autovacuum_a_run_vacuums_the_tables_it_pruned_and_only_then() throws Exception {
        Assumptions.assumeTrue(backend == Backend.POSTGRESQL, "SQLite gives pages back by itself (SqliteSpace)");
        rows.job("succeeded", T0, T0, null);
        clock.advance(Duration.ofDays(31));
        boolean autovacuumOff;
        try (Statement statement = rows.connection().createStatement();
             ResultSet setting = statement.executeQuery("SELECT current_setting('autovacuum')")) {
            setting.next();
            autovacuumOff = setting.getString(1).equals("off");
        }

        assertThat(prune().rows().get(Kind.JOBS)).isEqualTo(1);

        // the statistics of a vacuum reach pg_stat_user_tables within a second or so
        if (autovacuumOff) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> manualVacuums("jobs") > 0);
        } else {
            Thread.sleep(2_000);
            assertThat(manualVacuums("jobs")).isZero();
        }
        assertThat(manualVacuums("audit_events")).as("nothing pruned there").isZero();
    }

    private long manualVacuums(String table) throws Exception {
        try (Statement statement = rows.connection().createStatement();
             ResultSet count = statement.executeQuery("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = '" + table + "'")) {
            count.next();
            return count.getLong(1);
        }
    }

    @Test
    void a_server_that_keeps_everything_for_ever_prunes_nothing() throws Exception {
        try (TestServer keeper = TestServer.start(backend, config -> config.withClock(clock).withRetention(RetentionSettings.forever()));
             HistoryRows keeperRows = new HistoryRows(keeper)) {
            String job = keeperRows.job("succeeded", T0, T0, "{}");
            String event = keeperRows.auditEvent(T0);
            clock.advance(Duration.ofDays(1000));

            Pruner.Run run = keeper.server().pruner().runOnce();

            assertThat(((Pruner.Run.Pruned) run).total()).isZero();
            assertThat(keeperRows.exists("jobs", job)).isTrue();
            assertThat(keeperRows.output(job)).isEqualTo("{}");
            assertThat(keeperRows.exists("audit_events", event)).isTrue();
        }
    }
}
