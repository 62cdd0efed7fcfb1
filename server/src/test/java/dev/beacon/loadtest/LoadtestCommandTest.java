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

/** {@code beacon loadtest} scenarios, small and bounded, against a real server. No timing is asserted. */
class LoadtestCommandTest {
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
    void enroll_reports_throughput_and_latency_as_text_and_json() throws Exception {
        Path json = tmp.resolve("enroll.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "enroll", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--count", "60", "--concurrency", "4", "--json", json.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("throughput", "p99=");
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("summary").get("ok").asLong()).isEqualTo(60);
        assertThat(report.get("summary").get("errors_by_code").size()).isZero();
        assertThat(report.get("server_after").get("resident_mb").asDouble()).isPositive();
    }

    @Test
    void agents_hold_connections_and_time_heartbeats() throws Exception {
        Path json = tmp.resolve("agents.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "agents", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--count", "25", "--heartbeat-s", "1", "--duration", "3", "--json", json.toString());
        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("result").get("connected").asInt()).isEqualTo(25);
        assertThat(report.get("result").get("heartbeats").get("ok").asLong()).isGreaterThanOrEqualTo(25);
    }

    @Test
    void jobs_are_dispatched_to_simulated_agents_and_timed() throws Exception {
        Path json = tmp.resolve("jobs.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "jobs", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--agents", "3", "--count", "40", "--concurrency", "2", "--duration", "60", "--json", json.toString());
        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("result").get("jobs_done").asLong()).isEqualTo(40);
        assertThat(report.get("result").get("dispatch").get("ok").asLong()).isEqualTo(40);
        assertThat(server.get("/api/jobs?status=succeeded&limit=500", server.adminKey()).json().get("items").size()).isGreaterThanOrEqualTo(40);
    }

    @Test
    void jobs_agents_heartbeat_so_a_run_longer_than_the_heartbeat_timeout_keeps_them() throws Exception {
        // The server here asks for a heartbeat every second and drops a silent agent after three: this run lasts five.
        Path json = tmp.resolve("jobs-slow.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "jobs", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--agents", "2", "--count", "25", "--rate", "5", "--concurrency", "1", "--duration", "60", "--json", json.toString());
        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("result").get("jobs_done").asLong()).isEqualTo(25);
    }

    @Test
    void a_target_off_loopback_is_refused_unless_allowed() {
        TestServer.CliResult result = TestServer.runCli("loadtest", "enroll", "--server", "http://192.0.2.10:8080", "--api-key", "x");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("not a loopback address").contains("--allow-remote");
    }
}
