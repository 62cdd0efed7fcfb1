package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Instant;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The queue-over-time charts as a signed-in person gets them over HTTP, on both databases: on API Management's Queue
 * Status (the page and its live fragment) and per fleet on Sites &amp; fleets, each an SVG image named and described
 * in words, with its figures in a table. Jobs are written straight into the database with the timestamps needed.
 */
@BeaconTest
class QueueChartPagesTest implements BeaconServerExtension.ConfiguresServer {
    static final Instant T0 = Instant.parse("2026-03-01T12:00:30Z");

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
    void queue_status_and_each_busy_fleet_show_the_last_hour_and_day_as_described_images() throws Exception {
        String[] movers = server.siteAndFleet("yard", "movers");
        String idleFleet = server.post("/api/fleets", "{\"site_id\":\"" + movers[0] + "\",\"name\":\"idle\"}", server.adminKey())
                .json().get("id").asText();
        update("INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status) VALUES ('rob_r1', ?, ?, ?, 'r1', 0, 'offline')",
                orgId, movers[0], movers[1]);
        assigned("j1", T0.minusSeconds(300), 2_000); // 11:55:30, after 2 s
        assigned("j2", T0.minusSeconds(290), 4_000); // 11:55:40, after 4 s
        queued("j3", movers[1]);

        try (DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            for (String path : new String[] {"/", "/fragments/queue"}) {
                String page = admin.page(path);
                assertThat(page).as(path).contains("Queue over time", "<svg class=\"chart\"", "role=\"img\"",
                        "aria-labelledby=\"queue-chart-hour-wait-title queue-chart-hour-wait-desc\"",
                        "<title id=\"queue-chart-hour-queued-title\">Jobs queued, last hour</title>",
                        "Wait time, last hour: average 3.0 s, max 4.0 s over 2 jobs.",
                        "Jobs queued, last hour: at most 1 waiting at once.",
                        "<title id=\"queue-chart-day-wait-title\">Wait time, last day</title>",
                        "Last hour in numbers", "Last day in numbers");
                // The figures as a table: the minute 11:55 and the current one (one job waiting).
                assertThat(page).contains("<tr><th scope=\"row\">11:55</th><td>—</td><td>2</td><td>3.0 s</td><td>4.0 s</td></tr>",
                        "<tr><th scope=\"row\">12:00</th><td>1</td><td>0</td><td>—</td><td>—</td></tr>",
                        "<tr><th scope=\"row\">Mar 1 11:30</th><td>—</td><td>2</td><td>3.0 s</td><td>4.0 s</td></tr>");
            }

            String sites = admin.page("/sites");
            assertThat(sites).contains("id=\"fleet-chart-" + movers[1] + "\"",
                    "Queue over time: last hour: at most 1 queued, average wait 3.0 s",
                    "<title id=\"fleet-chart-" + movers[1] + "-hour-wait-title\">Wait time for fleet movers, last hour</title>",
                    "Wait time for fleet movers, last hour: average 3.0 s, max 4.0 s over 2 jobs.")
                    .doesNotContain("id=\"fleet-chart-" + idleFleet + "\"")
                    .contains("No job waited for this fleet or ran on it in the last day.");
            assertThat(sites).doesNotContain("http://", "https://");
        }
    }

    @Test
    void an_organization_without_jobs_gets_empty_charts_that_say_so() throws Exception {
        try (DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            String page = admin.page("/");
            // The header's logo is an inline SVG too: look at Queue Status only.
            String queue = page.substring(page.indexOf("id=\"queue-status\""), page.indexOf("</section>", page.indexOf("id=\"queue-status\"")));
            assertThat(queue).contains("Wait time, last hour: no jobs assigned.", "Jobs queued, last hour: none waiting.",
                    "No job waited or was assigned.").doesNotContain("<rect");
        }
    }

    private void assigned(String id, Instant assignedAt, long waitMillis) throws SQLException {
        long queuedAt = assignedAt.toEpochMilli() - waitMillis;
        update("""
                        INSERT INTO jobs (id, org_id, kind, payload, timeout_s, max_attempts, attempts, status, robot_id,
                                          created_at, queued_at, assigned_at, updated_at)
                        VALUES (?, ?, 'scan', '{}', 300, 1, 1, 'succeeded', 'rob_r1', ?, ?, ?, ?)""",
                id, orgId, queuedAt, queuedAt, assignedAt.toEpochMilli(), assignedAt.toEpochMilli());
    }

    private void queued(String id, String fleetId) throws SQLException {
        long at = T0.toEpochMilli() - 1_000;
        update("""
                        INSERT INTO jobs (id, org_id, kind, payload, target_fleet_id, timeout_s, max_attempts, attempts, status,
                                          created_at, queued_at, updated_at)
                        VALUES (?, ?, 'lift', '{}', ?, 300, 1, 0, 'queued', ?, ?, ?)""",
                id, orgId, fleetId, at, at, at);
    }

    private void update(String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql, java.sql.Statement.NO_GENERATED_KEYS)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            statement.executeUpdate();
        }
    }
}
