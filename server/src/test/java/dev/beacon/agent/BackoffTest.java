package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void the_ceiling_doubles_from_the_base_until_the_cap() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), new Random(1));

        assertThat(backoff.ceilingNanos(0)).isEqualTo(Duration.ofMillis(500).toNanos());
        assertThat(backoff.ceilingNanos(1)).isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(backoff.ceilingNanos(5)).isEqualTo(Duration.ofSeconds(16).toNanos());
        assertThat(backoff.ceilingNanos(6)).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(backoff.ceilingNanos(1000)).isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @Test
    void every_delay_is_jittered_between_zero_and_the_current_ceiling() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), new Random(7));
        long max = 0;
        for (int attempt = 0; attempt < 200; attempt++) {
            long ceiling = backoff.ceilingNanos(attempt);
            Duration delay = backoff.next();
            assertThat(delay.toNanos()).isBetween(0L, ceiling);
            max = Math.max(max, delay.toNanos());
        }
        assertThat(max).as("full jitter reaches well past the base").isGreaterThan(Duration.ofSeconds(10).toNanos());
    }

    @Test
    void reset_starts_over_from_the_base() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), new Random(3));
        for (int i = 0; i < 20; i++) {
            backoff.next();
        }

        backoff.reset();

        assertThat(backoff.next()).isLessThanOrEqualTo(Duration.ofMillis(500));
    }

    @Test
    void a_retry_after_is_waited_first_then_the_jittered_delay_on_top() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), new Random(5));
        for (int attempt = 0; attempt < 50; attempt++) {
            long ceiling = backoff.ceilingNanos(attempt);
            assertThat(backoff.next(Duration.ofSeconds(2)).toNanos()).isBetween(Duration.ofSeconds(2).toNanos(),
                    Duration.ofSeconds(2).toNanos() + ceiling);
        }
    }

    @Test
    void retry_after_is_read_in_whole_seconds_and_capped_and_anything_else_counts_as_none() {
        assertThat(Backoff.retryAfter(headers("1"))).isEqualTo(Duration.ofSeconds(1));
        assertThat(Backoff.retryAfter(headers(" 12 "))).isEqualTo(Duration.ofSeconds(12));
        assertThat(Backoff.retryAfter(headers("3600"))).isEqualTo(Duration.ofSeconds(30));
        assertThat(Backoff.retryAfter(headers("99999999999"))).isZero();
        assertThat(Backoff.retryAfter(headers("Wed, 21 Oct 2026 07:28:00 GMT"))).isZero();
        assertThat(Backoff.retryAfter(headers("-1"))).isZero();
        assertThat(Backoff.retryAfter(HttpHeaders.of(Map.of(), (name, value) -> true))).isZero();
    }

    private static HttpHeaders headers(String retryAfter) {
        return HttpHeaders.of(Map.of("Retry-After", List.of(retryAfter)), (name, value) -> true);
    }
}
