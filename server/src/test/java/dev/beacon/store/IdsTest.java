package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.FakeClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ids sort in the order one instance minted them, within a millisecond too, and keep their shape. */
class IdsTest {

    @Test
    void ids_of_one_millisecond_sort_in_the_order_they_were_minted() {
        Ids ids = new Ids(Clock.fixed(Instant.parse("2026-12-03T07:27:16.840Z"), ZoneOffset.UTC));
        List<String> minted = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            minted.add(ids.next("aud"));
        }
        assertThat(minted).isSorted().doesNotHaveDuplicates();
        assertThat(minted).allMatch(id -> id.matches("aud_[0-9a-f]{22}"));
        assertThat(minted.getFirst()).startsWith("aud_" + "%012x".formatted(Instant.parse("2026-12-03T07:27:16.840Z").toEpochMilli()));
    }

    @Test
    void threads_minting_at_once_get_distinct_ids_each_in_order() throws Exception {
        Ids ids = new Ids(Clock.systemUTC());
        List<java.util.concurrent.Callable<List<String>>> minters = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            minters.add(() -> {
                List<String> mine = new ArrayList<>();
                for (int i = 0; i < 5_000; i++) {
                    mine.add(ids.next("job"));
                }
                return mine;
            });
        }
        java.util.Set<String> all = new java.util.HashSet<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (var minted : pool.invokeAll(minters)) {
                assertThat(minted.get()).isSorted();
                all.addAll(minted.get());
            }
        }
        assertThat(all).hasSize(8 * 5_000);
    }

    @Test
    void a_clock_that_steps_back_does_not_make_ids_go_back() {
        FakeClock clock = new FakeClock(Instant.parse("2026-12-03T07:00:00Z"));
        Ids ids = new Ids(clock);
        String before = ids.next("job");
        clock.advance(Duration.ofSeconds(-5));
        String after = ids.next("job");
        assertThat(after).isGreaterThan(before);
    }

    @Test
    void a_new_millisecond_starts_with_its_own_time() {
        FakeClock clock = new FakeClock(Instant.parse("2026-12-03T07:00:00Z"));
        Ids ids = new Ids(clock);
        ids.next("rob");
        clock.advance(Duration.ofMillis(1));
        assertThat(ids.next("rob")).startsWith("rob_" + "%012x".formatted(clock.millis()));
    }
}
