package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.store.SpaceFigures;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/** {@code /metrics} shows how big the database is and how many rows the growing tables hold, read at most once a minute. */
@BeaconTest
class DatabaseGaugesTest {
    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void metrics_show_the_database_size_and_row_estimates_of_the_growing_tables() {
        String metrics = server.get("/metrics", null).body();

        assertThat(server.metric("beacon_database_size_bytes")).isGreaterThan(0);
        for (String table : DatabaseGauges.TABLES) {
            assertThat(metrics).contains("beacon_database_rows_estimate{database=\"" + backend.name().toLowerCase() + "\",table=\"" + table + "\"}");
        }
        assertThat(metrics.contains("beacon_database_free_bytes")).isEqualTo(backend == Backend.SQLITE);
    }

    @Test
    void the_figures_are_read_again_only_after_a_minute() {
        AtomicInteger reads = new AtomicInteger();
        AtomicLong now = new AtomicLong();
        DatabaseGauges gauges = new DatabaseGauges(() -> new SpaceFigures(reads.incrementAndGet(), 0, Map.of()), now::get);

        assertThat(gauges.current().sizeBytes()).isEqualTo(1);
        now.addAndGet(59_000_000_000L);
        assertThat(gauges.current().sizeBytes()).isEqualTo(1);
        now.addAndGet(2_000_000_000L);
        assertThat(gauges.current().sizeBytes()).isEqualTo(2);
    }
}
