package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.store.Database;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * {@code GET /api/queue} on both databases with a clock the test moves: the counts are read on every call, the
 * waits of the last hour at most every {@link QueueWaits#MAX_AGE}. Jobs are written straight into the database with
 * the timestamps the test needs (no agent runs them).
 */
@BeaconTest
class QueueWaitsTest implements BeaconServerExtension.ConfiguresServer {
    static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(T0);
    Connection connection;
    String orgId;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock);
    }

    @BeforeEach
    void open() throws SQLException {
        if (server.databaseUrl().isEmpty()) {
            Properties properties = new Properties();
            properties.setProperty("busy_timeout", "10000");
            connection = DriverManager.getConnection(Database.sqliteUrl(server.dataDir()), properties);
        } else {
            connection = DriverManager.getConnection(server.databaseUrl());
        }
        try (var rs = connection.createStatement().executeQuery("SELECT id FROM organizations WHERE name = 'default'")) {
            rs.next();
            orgId = rs.getString(1);
        }
    }

    @AfterEach
    void close() throws SQLException {
        connection.close();
    }

    @Test
    void counts_are_fresh_on_every_call_and_waits_refresh_after_ten_seconds() throws SQLException {
        String[] place = server.siteAndFleet("yard", "movers");
        String robotId = robot(place[0], place[1]);
        JsonNode empty = queue();
        assertThat(empty.get("jobs_queued").asInt()).isZero();
        assertThat(empty.get("avg_wait_s").asDouble()).isZero();
        assertThat(empty.get("wait_by_kind")).isEmpty();

        // Assigned 30 s ago after 4 s and 2 s in the queue, one assigned before the hour, and one job waiting.
        job("j1", "scan", "succeeded", robotId, null, T0.minusSeconds(34), T0.minusSeconds(30));
        job("j2", "scan", "succeeded", robotId, null, T0.minusSeconds(32), T0.minusSeconds(30));
        job("j3", "scan", "succeeded", robotId, null, T0.minusSeconds(3700), T0.minusSeconds(3620));
        job("j4", "lift", "queued", null, place[1], T0.minusSeconds(1), null);
        clock.advance(Duration.ofSeconds(9));

        JsonNode fresh = queue();
        assertThat(fresh.get("jobs_queued").asInt()).as("counts read now").isEqualTo(1);
        assertThat(fresh.get("offline").asInt()).isEqualTo(1);
        assertThat(fresh.get("avg_wait_s").asDouble()).as("waits read at T0").isZero();
        assertThat(fresh.get("wait_by_fleet").get(0).get("jobs_queued").asInt()).isEqualTo(1);
        assertThat(fresh.get("wait_by_fleet").get(0).get("avg_wait_s").asDouble()).isZero();
        assertThat(fresh.get("wait_by_kind").findValuesAsText("name")).containsExactly("lift");

        clock.advance(Duration.ofSeconds(1));
        JsonNode refreshed = queue();
        assertThat(refreshed.get("avg_wait_s").asDouble()).isEqualTo(3.0);
        assertThat(refreshed.get("wait_by_fleet").get(0).get("name").asText()).isEqualTo("movers");
        assertThat(refreshed.get("wait_by_fleet").get(0).get("jobs_queued").asInt()).isEqualTo(1);
        assertThat(refreshed.get("wait_by_fleet").get(0).get("avg_wait_s").asDouble()).isEqualTo(3.0);
        assertThat(refreshed.get("wait_by_kind").toString()).isEqualTo("""
                [{"id":null,"name":"lift","jobs_queued":1,"avg_wait_s":0.0},\
                {"id":null,"name":"scan","jobs_queued":0,"avg_wait_s":3.0}]""");
        assertThat(server.metric("beacon_jobs_wait_avg_seconds")).isEqualTo(3.0);
        assertThat(server.metric("beacon_jobs_queued")).isEqualTo(1.0);
    }

    private JsonNode queue() {
        TestServer.Response response = server.get("/api/queue", server.adminKey());
        assertThat(response.status()).isEqualTo(200);
        return response.json();
    }

    private String robot(String siteId, String fleetId) throws SQLException {
        update("INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status) VALUES (?, ?, ?, ?, 'r1', ?, 'offline')",
                "rob_r1", orgId, siteId, fleetId, T0.toEpochMilli());
        return "rob_r1";
    }

    private void job(String id, String kind, String status, String robotId, String fleetId, Instant queuedAt, Instant assignedAt)
            throws SQLException {
        update("""
                        INSERT INTO jobs (id, org_id, kind, payload, target_fleet_id, timeout_s, max_attempts, attempts, status, robot_id,
                                          created_at, queued_at, assigned_at, updated_at)
                        VALUES (?, ?, ?, '{}', ?, 300, 1, ?, ?, ?, ?, ?, ?, ?)""",
                id, orgId, kind, fleetId, assignedAt == null ? 0 : 1, status, robotId, queuedAt.toEpochMilli(),
                queuedAt.toEpochMilli(), assignedAt == null ? null : assignedAt.toEpochMilli(), queuedAt.toEpochMilli());
    }

    private void update(String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            statement.executeUpdate();
        }
    }
}
