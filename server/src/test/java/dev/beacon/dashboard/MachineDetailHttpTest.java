package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.FakeTicker;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * A machine's page, the machine summary of API Management and the bulk actions of the Machines page, over plain HTTP
 * on both databases, with the fleet of {@link MachineFleet#standard} on a fake clock.
 */
@BeaconTest
class MachineDetailHttpTest implements BeaconServerExtension.ConfiguresServer {
    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(MachinesPageHttpTest.T0);
    final FakeTicker ticker = new FakeTicker();

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withHeartbeatInterval(5).withClock(clock).withTicker(ticker);
    }

    @Test
    void a_machine_page_shows_uptime_idle_time_the_timeline_and_names_instead_of_ids() throws Exception {
        try (MachineFleet fleet = MachineFleet.standard(server, clock, 12, 8)) {
            MachinePageClient admin = MachinePageClient.signIn(server, "admin", "test-password");
            String online = admin.page("/machines/" + fleet.ids.get("m-003"));
            assertThat(online).contains("data-status=\"online\"", "last heartbeat", "datetime=\"2026-11-30T10:00:11Z\"", "Rotate token");
            assertThat(between(online, "data-uptime>", "</dd>")).startsWith("2 s");
            assertThat(between(online, "data-idle>", "</dd>")).startsWith("2 s");
            assertThat(online).contains("data-event=\"connected\"", "Connected from 127.0.0.1");

            String silent = admin.page("/machines/" + fleet.ids.get("m-000"));
            assertThat(silent).contains("data-status=\"unresponsive\"", "datetime=\"2026-11-30T10:00:00Z\"");
            assertThat(between(silent, "data-uptime>", "</dd>")).startsWith("13 s");

            String jobId = fleet.robot("m-004").get("current_job").asText();
            String busy = admin.page("/machines/" + fleet.ids.get("m-004"));
            assertThat(between(busy, "data-current-job>", "</dd>")).contains("href=\"/jobs/" + jobId + "\" title=\"" + jobId + "\">echo</a>");
            assertThat(between(busy, "data-idle>", "</dd>")).contains("busy");

            String offline = admin.page("/machines/" + fleet.ids.get("m-005"));
            assertThat(offline).contains("data-status=\"offline\"", "data-rotate-unavailable", "Token rotation needs the machine online")
                    .doesNotContain("Rotate token</button>", "/rotate-token\"");
            assertThat(offline).contains("data-event=\"disconnected\"", "Disconnected: ", "data-event=\"connected\"");
            assertThat(offline.indexOf("data-event=\"disconnected\"")).isLessThan(offline.indexOf("data-event=\"connected\"")); // newest first

            String never = admin.page("/machines/" + fleet.ids.get("m-009"));
            assertThat(never).contains("data-status=\"never\"", "Never connected.").doesNotContain("last heartbeat");
        }
    }

    @Test
    void a_refused_rotation_shows_its_reason_on_the_machine_page() throws Exception {
        try (MachineFleet fleet = MachineFleet.standard(server, clock, 10, 6)) {
            MachinePageClient admin = MachinePageClient.signIn(server, "admin", "test-password");
            String id = fleet.ids.get("m-005");
            // The page offers no rotation for an offline machine; a form posted anyway comes back to the same page.
            assertThat(admin.post("/ui/machines/" + id + "/rotate-token", List.of())).isEqualTo("/machines/" + id);
            assertThat(admin.page("/machines/" + id)).contains("flash-error", "was not rotated", "not connected");
        }
    }

    @Test
    void api_management_has_the_queue_on_top_and_a_machine_summary() throws Exception {
        try (MachineFleet fleet = MachineFleet.standard(server, clock, 12, 8)) {
            MachinePageClient admin = MachinePageClient.signIn(server, "admin", "test-password");
            String page = admin.page("/");
            assertThat(page).contains("VM Machines", "Queue Status", "Jobs Queued", "Avg Wait Time", "Active Drivers", "href=\"/machines\"");
            assertThat(page.indexOf("id=\"queue-status\"")).isLessThan(page.indexOf("id=\"api-keys\""));
            assertThat(page.indexOf("id=\"api-keys\"")).isLessThan(page.indexOf("id=\"machines\""));
            MachinesPageHttpTest.assertCounts(page, Map.of("all", 12L, "online", 1L, "busy", 1L, "unresponsive", 3L, "offline", 1L,
                    "never", 3L, "paused", 3L));
            assertThat(MachinesPageHttpTest.rows(page)).containsExactly("m-000", "m-001", "m-002", "m-005");
            assertThat(admin.page("/fragments/machine-summary")).contains("data-count=\"unresponsive\">3</span>");
            assertThat(admin.page("/machines")).contains("<a href=\"/machines\" aria-current=\"page\">Machines</a>");
        }
    }

    @Test
    void bulk_actions_pause_resume_and_remove_the_ticked_machines_by_role() throws Exception {
        try (MachineFleet fleet = MachineFleet.standard(server, clock, 12, 8)) {
            MachinePageClient admin = MachinePageClient.signIn(server, "admin", "test-password");
            String back = "/machines?status=paused";
            assertThat(admin.post("/ui/machines/bulk", List.of(Map.entry("action", "pause"), Map.entry("id", fleet.ids.get("m-003")),
                    Map.entry("id", fleet.ids.get("m-005")), Map.entry("id", fleet.ids.get("m-009")), Map.entry("back", back)))).isEqualTo(back);
            String paused = admin.page(back);
            assertThat(paused).contains("3 machines paused");
            assertThat(MachinesPageHttpTest.rows(paused)).containsExactly("m-003", "m-005", "m-006", "m-007", "m-008", "m-009");
            assertThat(fleet.robot("m-003").get("paused").asBoolean()).isTrue();

            admin.post("/ui/machines/bulk", List.of(Map.entry("action", "resume"), Map.entry("id", fleet.ids.get("m-003")),
                    Map.entry("id", fleet.ids.get("m-009"))));
            assertThat(admin.page("/machines")).contains("2 machines resumed");
            assertThat(fleet.robot("m-003").get("paused").asBoolean()).isFalse();

            admin.post("/ui/machines/bulk", List.of(Map.entry("action", "remove"), Map.entry("id", fleet.ids.get("m-010")),
                    Map.entry("id", fleet.ids.get("m-011")), Map.entry("id", "rob_no_such_machine")));
            assertThat(admin.page("/machines")).contains("2 machines removed", "1 machine had been removed already");
            assertThat(server.get("/api/robots/" + fleet.ids.get("m-010"), server.adminKey()).status()).isEqualTo(404);

            admin.post("/ui/machines/bulk", List.of(Map.entry("action", "pause")));
            assertThat(admin.page("/machines")).contains("Tick at least one machine first.");

            var created = TestServer.runCliWithStdin("viewer-password-1\n", "admin", "user", "create", "--username", "vic", "--role",
                    "viewer", "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
            assertThat(created.exitCode()).as(created.err()).isZero();
            MachinePageClient viewer = MachinePageClient.signIn(server, "vic", "viewer-password-1");
            assertThat(viewer.page("/machines")).doesNotContain("data-select", "bulk-form");
            viewer.post("/ui/machines/bulk", List.of(Map.entry("action", "pause"), Map.entry("id", fleet.ids.get("m-003"))));
            assertThat(viewer.page("/machines")).contains("You are a viewer", "flash-error");
            assertThat(fleet.robot("m-003").get("paused").asBoolean()).isFalse();
        }
    }

    private static String between(String html, String start, String end) {
        int from = html.indexOf(start);
        assertThat(from).as(start).isNotNegative();
        from += start.length();
        return html.substring(from, html.indexOf(end, from));
    }
}
