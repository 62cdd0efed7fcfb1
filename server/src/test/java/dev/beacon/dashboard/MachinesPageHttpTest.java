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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The Machines page over plain HTTP on both databases, with a fleet of 212 machines: server-side search (name,
 * hostname, IP, label), status tabs with counts for the current search, sortable columns and paging, and the
 * dashboard-only states Unresponsive (a connected agent that went silent) and Never connected. The server runs on a
 * fake clock, so "two heartbeat intervals of silence" is one {@code advance}, and a fake ticker, so the silent agents
 * are never disconnected for it.
 */
@BeaconTest
class MachinesPageHttpTest implements BeaconServerExtension.ConfiguresServer {
    static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
    static final int FLEET = 212;

    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(T0);
    final FakeTicker ticker = new FakeTicker();

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withHeartbeatInterval(5).withClock(clock).withTicker(ticker);
    }

    MachineFleet fixture(int count, int inAlpha) throws Exception {
        return MachineFleet.standard(server, clock, count, inAlpha);
    }

    @Test
    void search_tabs_counts_sorting_and_paging_find_every_machine_of_a_large_fleet() throws Exception {
        try (MachineFleet fleet = fixture(FLEET, 150)) {
            MachinePageClient admin = MachinePageClient.signIn(server, "admin", "test-password");
            String first = admin.page("/machines");
            assertCounts(first, Map.of("all", 212L, "online", 1L, "busy", 1L, "unresponsive", 3L, "offline", 1L, "never", 203L, "paused", 3L));
            assertThat(rows(first)).hasSize(50).startsWith("m-000", "m-001", "m-002");
            assertThat(first).contains("1–50 of 212", "rel=\"next\"").doesNotContain("rel=\"prev\"");
            assertThat(first).contains("aria-sort=\"ascending\"><a href=\"/machines?dir=desc\" data-sort=\"name\">Name</a>");

            // Paging: next links walk through every machine once, in name order.
            List<String> seen = new ArrayList<>(rows(first));
            String page = first;
            int pages = 1;
            for (String next = link(page, "next"); next != null; next = link(page, "next")) {
                page = admin.page(next);
                seen.addAll(rows(page));
                pages++;
            }
            assertThat(pages).isEqualTo(5);
            assertThat(seen).containsExactlyElementsOf(fleet.names());
            assertThat(page).contains("201–212 of 212", "rel=\"prev\"");

            // Tabs: rows of one state; the counts stay those of the whole search.
            String unresponsive = admin.page("/machines?status=unresponsive");
            assertThat(rows(unresponsive)).containsExactly("m-000", "m-001", "m-002");
            assertThat(Pattern.compile("data-status=\"unresponsive\"").matcher(unresponsive).results().count()).isEqualTo(3);
            assertThat(unresponsive).contains("data-tab=\"unresponsive\" class=\"tab-unresponsive\" aria-current=\"page\"", "1–3 of 3");
            assertCounts(unresponsive, Map.of("all", 212L, "unresponsive", 3L));
            assertThat(rows(admin.page("/fragments/machines?status=unresponsive"))).containsExactly("m-000", "m-001", "m-002");
            assertThat(admin.page("/machines?status=never")).contains("1–50 of 203");
            assertThat(rows(admin.page("/machines?status=busy"))).containsExactly("m-004");
            assertThat(rows(admin.page("/machines?status=offline"))).containsExactly("m-005");
            assertThat(rows(admin.page("/machines?status=paused"))).containsExactly("m-006", "m-007", "m-008");

            // Search: name, label key, label key=value, hostname, IP; LIKE wildcards are plain characters.
            String byName = admin.page("/machines?q=m-01");
            assertThat(rows(byName)).containsExactlyElementsOf(names(IntStream.range(10, 20)));
            assertCounts(byName, Map.of("all", 10L, "never", 10L, "online", 0L));
            List<String> gpu = names(IntStream.range(0, FLEET).filter(MachineFleet::hasGpu));
            assertThat(rows(admin.page("/machines?q=GPU"))).containsExactlyElementsOf(gpu);
            assertThat(rows(admin.page("/machines?q=gpu%3Dyes"))).containsExactlyElementsOf(gpu);
            // The connected machines' hello advertised no labels: theirs were replaced.
            List<String> zone1 = names(IntStream.range(6, FLEET).filter(i -> !MachineFleet.hasGpu(i) && i % 3 == 1));
            String zone = admin.page("/machines?q=zone%3Dz1");
            assertCounts(zone, Map.of("all", (long) zone1.size()));
            assertThat(rows(zone)).containsExactlyElementsOf(zone1.subList(0, 50));
            assertThat(rows(admin.page("/machines?q=host-m-20"))).containsExactlyElementsOf(names(IntStream.range(200, 210)));
            assertCounts(admin.page("/machines?q=127.0.0"), Map.of("all", 212L));
            assertThat(admin.page("/machines?q=%25")).contains("No machine matches “%”");
            assertCounts(admin.page("/machines?q=A-FLEET"), Map.of("all", 150L));
            String beta = admin.page("/machines?fleet_id=" + fleet.fleetIds.get("beta"));
            assertCounts(beta, Map.of("all", 62L, "never", 62L));
            assertThat(rows(beta)).startsWith("m-150", "m-151");
            assertThat(beta).contains("Only fleet <strong>b-fleet</strong>", "data-tab=\"never\"", "href=\"/machines?fleet_id=" + fleet.fleetIds.get("beta")
                    + "&amp;status=never\"");
            String searchAndTab = admin.page("/machines?q=gpu&status=never");
            assertThat(rows(searchAndTab)).containsExactlyElementsOf(gpu);
            assertThat(searchAndTab).contains("href=\"/machines?q=gpu&amp;status=paused\"", "href=\"/machines?q=gpu&amp;status=never&amp;sort=status\"",
                    "name=\"q\" value=\"gpu\"", "data-src=\"/fragments/machines?q=gpu&amp;status=never\"");

            // Sorting, both ways; the sorted column says so.
            String byNameDesc = admin.page("/machines?sort=name&dir=desc");
            assertThat(rows(byNameDesc)).startsWith("m-211", "m-210");
            assertThat(byNameDesc).contains("aria-sort=\"descending\"");
            assertThat(rows(admin.page("/machines?sort=last_seen&dir=desc"))).startsWith("m-005", "m-004", "m-003", "m-000", "m-001", "m-002");
            assertThat(rows(admin.page("/machines?sort=status"))).startsWith("m-003", "m-004", "m-000", "m-001", "m-002", "m-005", "m-009");
            assertThat(rows(admin.page("/machines?sort=place&dir=desc"))).startsWith("m-150", "m-151");
            assertThat(rows(admin.page("/machines?sort=place"))).startsWith("m-000", "m-001");

            // Anything unknown falls back to the defaults; a page past the end says so.
            assertThat(rows(admin.page("/machines?status=bogus&sort=nope&dir=up&page=x"))).hasSize(50).startsWith("m-000");
            assertThat(admin.page("/machines?page=99")).contains("past the end of the list", "href=\"/machines\"");
        }
    }

    @Test
    void rows_show_the_real_last_heartbeat_and_the_current_job_by_kind() throws Exception {
        try (MachineFleet fleet = fixture(12, 8)) {
            String jobId = fleet.robot("m-004").get("current_job").asText();
            MachinePageClient admin = MachinePageClient.signIn(server, "admin", "test-password");
            String page = admin.page("/machines");
            assertThat(row(page, "m-003")).contains("data-status=\"online\"", "datetime=\"2026-11-30T10:00:11Z\"")
                    .doesNotContain(">now<");
            assertThat(row(page, "m-000")).contains("data-status=\"unresponsive\"", "datetime=\"2026-11-30T10:00:00Z\"");
            assertThat(row(page, "m-004")).contains("data-status=\"busy\"", "title=\"" + jobId + "\">echo</a>");
            assertThat(row(page, "m-009")).contains("data-status=\"never\"", "Never connected", ">never<");
            assertThat(row(page, "m-006")).contains("data-status=\"paused\"");
            // The API's status keeps its three values.
            assertThat(fleet.robot("m-000").get("status").asText()).isEqualTo("online");
            assertThat(fleet.robot("m-009").get("status").asText()).isEqualTo("offline");

            // Once the silent agents heartbeat again they are online again.
            fleet.sockets.get("m-000").send("{\"type\":\"heartbeat\"}");
            fleet.sockets.get("m-000").next("heartbeat.ack");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> row(admin.page("/machines"), "m-000").contains("data-status=\"online\""));
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    static List<String> names(IntStream numbers) {
        return numbers.mapToObj(MachineFleet::name).toList();
    }

    static final Pattern ROW = Pattern.compile("<tr data-machine=\"([^\"]+)\"");

    /** The machine names of a list's rows, in order. */
    static List<String> rows(String html) {
        return ROW.matcher(html).results().map(m -> m.group(1)).toList();
    }

    /** One row's HTML. */
    static String row(String html, String name) {
        int start = html.indexOf("<tr data-machine=\"" + name + "\"");
        assertThat(start).as("row " + name).isNotNegative();
        return html.substring(start, html.indexOf("</tr>", start));
    }

    static String link(String html, String rel) {
        Matcher matcher = Pattern.compile("href=\"([^\"]+)\" rel=\"" + rel + "\"").matcher(html);
        return matcher.find() ? matcher.group(1).replace("&amp;", "&") : null;
    }

    static void assertCounts(String html, Map<String, Long> expected) {
        expected.forEach((tab, count) -> assertThat(html).as("count of " + tab)
                .contains("data-count=\"" + tab + "\">" + count + "</span>"));
    }
}
