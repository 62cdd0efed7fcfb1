package dev.beacon.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.beacon.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How {@code --retain-…} values read and show, and how {@code beacon server} refuses a bad one; on JUnit's thread. */
class RetentionSettingsTest {
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"30d; PT720H; 30d; 30 days", "12h; PT12H; 12h; 12 hours", "36h; PT36H; 36h; 36 hours",
            "1d; PT24H; 1d; 1 day", "1h; PT1H; 1h; 1 hour", "90m; PT90M; 90m; 90 minutes", "120m; PT2H; 2h; 2 hours",
            "10m; PT10M; 10m; 10 minutes", " 7D ; PT168H; 7d; 7 days"})
    void a_retention_reads_as_days_hours_or_minutes(String text, String duration, String described, String words) {
        Duration parsed = RetentionSettings.parse(text);

        assertThat(parsed).isEqualTo(Duration.parse(duration));
        assertThat(RetentionSettings.describe(parsed)).isEqualTo(described);
        assertThat(RetentionSettings.inWords(parsed)).isEqualTo(words);
    }

    @Test
    void zero_keeps_for_ever() {
        assertThat(RetentionSettings.parse("0")).isZero();
        assertThat(RetentionSettings.describe(Duration.ZERO)).isEqualTo("for ever");
        assertThat(RetentionSettings.inWords(Duration.ZERO)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"30", "1w", "-1d", "0h30", "", "0.5d", "5s"})
    void anything_else_is_refused_saying_what_is_accepted(String text) {
        assertThatThrownBy(() -> RetentionSettings.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("days (30d), hours (12h), minutes (30m), or 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9m", "1m"})
    void less_than_ten_minutes_is_refused(String text) {
        assertThatThrownBy(() -> RetentionSettings.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shorter than 10m");
    }

    @Test
    void the_pruner_runs_every_tenth_of_the_shortest_retention_between_a_minute_and_an_hour() {
        Duration day = Duration.ofDays(1);
        assertThat(RetentionSettings.defaults().pruneEvery()).isEqualTo(Duration.ofHours(1));
        assertThat(RetentionSettings.forever().pruneEvery()).isEqualTo(Duration.ofHours(1));
        assertThat(new RetentionSettings(day, Duration.ofHours(2), day, day, day, day).pruneEvery()).isEqualTo(Duration.ofMinutes(12));
        assertThat(new RetentionSettings(Duration.ofMinutes(10), Duration.ZERO, day, day, day, day).pruneEvery())
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void the_defaults_read_in_one_line() {
        assertThat(RetentionSettings.defaults().toString()).isEqualTo("jobs 30d, job output 7d, audit 365d, connections 30d, "
                + "revoked or expired robot tokens 90d, revoked or expired enrollment keys 90d");
    }

    @Test
    void beacon_server_refuses_a_retention_without_a_unit_naming_the_flag() {
        TestServer.CliResult result = TestServer.runCli("server", "--port", "0", "--retain-jobs", "30");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err().strip()).startsWith("✗ --retain-jobs: '30' is not a retention");
    }
}
