package dev.beacon.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code beacon loadtest mixed}, small and bounded, against a real server. No timing is asserted. */
class MixedScenarioTest {
    static TestServer server;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        server = TestServer.start(Backend.SQLITE, config -> config.withHeartbeatInterval(1));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void mixed_enrolls_heartbeats_and_runs_jobs_at_once_and_reports_every_part() throws Exception {
        Path json = tmp.resolve("mixed.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "mixed", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--agents", "5", "--heartbeat-s", "1", "--enroll-count", "20", "--enroll-rate", "20", "--job-count", "30",
                "--job-rate", "15", "--concurrency", "2", "--duration", "60", "--json", json.toString());
        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.out()).contains("enroll", "heartbeats", "job submit", "job -> agent", "p99=", "server      rss");
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("scenario").asText()).isEqualTo("mixed");
        JsonNode figures = report.get("result");
        assertThat(figures.get("connected").asInt()).isEqualTo(5);
        assertThat(figures.get("enroll").get("ok").asLong()).isEqualTo(20);
        assertThat(figures.get("submit").get("ok").asLong()).isEqualTo(30);
        assertThat(figures.get("jobs_done").asLong()).isEqualTo(30);
        assertThat(figures.get("dispatch").get("ok").asLong()).isEqualTo(30);
        assertThat(figures.get("heartbeats").get("ok").asLong()).isPositive();
        assertThat(figures.get("after").get("resident_mb").asDouble()).isPositive();
    }

    @Test
    void mixed_refuses_rates_below_one() {
        TestServer.CliResult result = TestServer.runCli("loadtest", "mixed", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--job-rate", "0");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--job-rate");
    }
}
