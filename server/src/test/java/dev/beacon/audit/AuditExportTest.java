package dev.beacon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * {@code GET /api/audit?format=jsonl}: every event of a time range as JSON Lines, oldest first, read in pages and written
 * as it goes; its refusals; on both databases, with the server on a clock the test moves.
 */
@BeaconTest
class AuditExportTest implements BeaconServerExtension.ConfiguresServer {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(START);

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock);
    }

    @Test
    void an_export_of_a_range_holds_exactly_the_events_inside_it_oldest_first_as_the_list_shows_them() {
        List<String> siteIds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofMinutes(1));
            siteIds.add(server.post("/api/sites", "{\"name\":\"site-" + i + "\"}", server.adminKey()).json().get("id").asText());
        }

        TestServer.Response export = server.get("/api/audit?format=jsonl&since=2026-01-01T00:02:00Z&until=2026-01-01T00:04:00Z",
                server.adminKey());

        assertThat(export.status()).as(export.body()).isEqualTo(200);
        assertThat(export.raw().headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        assertThat(export.body()).endsWith("\n");
        List<JsonNode> lines = lines(export.body());
        assertThat(lines).extracting(line -> line.get("target_id").asText()).containsExactly(siteIds.get(1), siteIds.get(2));
        assertThat(lines).extracting(line -> line.get("created_at").asText())
                .containsExactly("2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z");
        JsonNode listed = server.get("/api/audit?action=site.created&limit=4", server.adminKey()).json().get("items");
        assertThat(lines).containsExactly(listed.get(2), listed.get(1));
        assertThat(lines(server.get("/api/audit?format=jsonl&action=site.created&since=2026-01-01T01:00:00%2B01:00",
                server.adminKey()).body())).as("an offset, and the upper end open").hasSize(4);
    }

    @Test
    void an_export_longer_than_a_page_is_whole_and_in_id_order() {
        String orgId = orgId();
        int bulk = AuditLog.EXPORT_PAGE_SIZE * 2 + 500;
        withDatabase(db -> new AuditLog(db, new Ids(clock), clock).appendAll(IntStream.range(0, bulk)
                .mapToObj(i -> new AuditLog.Entry(orgId, Actor.SYSTEM, "test.bulk", "site", "site_" + i, "n=" + i)).toList()));

        List<JsonNode> lines = lines(server.get("/api/audit?format=jsonl", server.adminKey()).body());

        assertThat(lines.stream().filter(line -> line.get("action").asText().equals("test.bulk"))).hasSize(bulk);
        List<String> ids = lines.stream().map(line -> line.get("id").asText()).toList();
        assertThat(ids).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void a_small_page_size_pages_by_id_through_the_range() {
        String orgId = "org_paging_" + backend.name().toLowerCase();
        withDatabase(db -> {
            AuditLog audit = new AuditLog(db, new Ids(clock), clock, 2);
            for (int i = 0; i < 7; i++) {
                clock.advance(Duration.ofSeconds(1));
                audit.append(new AuditLog.Entry(orgId, Actor.SYSTEM, "test.paged", null, null, "n=" + i));
            }
            List<String> all = new ArrayList<>();
            assertThat(audit.export(orgId, new AuditLog.Filter(null, null, null), event -> all.add(event.detail()))).isEqualTo(7);
            assertThat(all).containsExactly("n=0", "n=1", "n=2", "n=3", "n=4", "n=5", "n=6");

            List<String> range = new ArrayList<>();
            audit.export(orgId, new AuditLog.Filter("test.paged", clock.instant().minusSeconds(5), clock.instant().minusSeconds(1)),
                    event -> range.add(event.detail()));
            assertThat(range).as("[since, until)").containsExactly("n=1", "n=2", "n=3", "n=4");
        });
    }

    @Test
    void bad_parameters_and_callers_are_refused_with_their_codes() {
        String reader = server.createApiKey("reader", "read");
        assertRefused("/api/audit?format=jsonl&since=yesterday", server.adminKey(), 400, "validation_failed", "since");
        assertRefused("/api/audit?since=2026-01-01T00:00:00", server.adminKey(), 400, "validation_failed", "since");
        assertRefused("/api/audit?format=jsonl&since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", server.adminKey(), 400,
                "validation_failed", "until");
        assertRefused("/api/audit?format=xml", server.adminKey(), 400, "validation_failed", "format");
        assertRefused("/api/audit?format=jsonl&limit=10", server.adminKey(), 400, "validation_failed", "limit");
        assertRefused("/api/audit?format=jsonl", reader, 403, "forbidden", null);
        assertRefused("/api/audit?format=jsonl", null, 401, "unauthorized", null);
        assertThat(server.get("/api/audit?format=json", server.adminKey()).json().has("items")).isTrue();
    }

    private void assertRefused(String path, String key, int status, String code, String field) {
        TestServer.Response response = server.get(path, key);
        assertThat(response.status()).as(path + ": " + response.body()).isEqualTo(status);
        assertThat(response.code()).isEqualTo(code);
        assertThat(response.json().path("field").asText(null)).isEqualTo(field);
    }

    private String orgId() {
        return server.get("/api/audit?limit=1", server.adminKey()).json().at("/items/0/org_id").asText();
    }

    private void withDatabase(java.util.function.Consumer<Database> work) {
        try (Database db = Database.open(server.databaseUrl().isEmpty() ? Database.sqliteUrl(server.dataDir()) : server.databaseUrl())) {
            work.accept(db);
        }
    }

    private static List<JsonNode> lines(String body) {
        return body.lines().map(line -> {
            try {
                return TestServer.JSON.readTree(line);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }
}
