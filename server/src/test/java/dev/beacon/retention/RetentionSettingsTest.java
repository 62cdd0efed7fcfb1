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
    @CsvSource({"30d, PT720H, 30d, 30", "12h, PT12H, 12h, 1", "36h, PT36H, 36h, 2", "0, PT0S, for ever, 0", " 7D , PT168H, 7d, 7"})
    void a_retention_reads_as_days_or_hours_and_zero_keeps_for_ever(String text, String duration, String described, long days) {
        Duration parsed = RetentionSettings.parse(text);

        assertThat(parsed).isEqualTo(Duration.parse(duration));
        assertThat(RetentionSettings.describe(parsed)).isEqualTo(described);
        assertThat(RetentionSettings.days(parsed)).isEqualTo(days);
    }

    @ParameterizedTest
    @ValueSource(strings = {"30", "1w", "-1d", "0h30", "", "0.5d"})
    void anything_else_is_refused_saying_what_is_accepted(String text) {
        assertThatThrownBy(() -> RetentionSettings.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("days (30d), hours (12h), or 0");
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
