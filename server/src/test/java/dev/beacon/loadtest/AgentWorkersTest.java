package dev.beacon.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code beacon loadtest agents --workers K}: sockets split over child processes, results merged. No timing is asserted. */
class AgentWorkersTest {
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
    void two_workers_hold_the_agents_and_their_heartbeats_land_in_one_report() throws Exception {
        Path json = tmp.resolve("agents.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "agents", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--count", "11", "--workers", "2", "--heartbeat-s", "1", "--duration", "3", "--json", json.toString());
        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("result").get("workers").asInt()).isEqualTo(2);
        assertThat(report.get("result").get("connected").asInt()).isEqualTo(11);
        assertThat(report.get("result").get("heartbeats").get("ok").asLong()).isGreaterThanOrEqualTo(11);
        assertThat(server.get("/api/robots?status=online&limit=500", server.adminKey()).json().get("items").size()).isZero();
    }

    @Test
    void a_worker_share_over_the_open_file_budget_is_refused() {
        TestServer.CliResult result = TestServer.runCli("loadtest", "agents", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--count", "19000", "--workers", "2");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--workers 3");
    }

    @Test
    void dropped_agents_reconnect_with_backoff_and_the_report_says_how_fast() throws Exception {
        Path json = tmp.resolve("storm.json");
        AtomicReference<RuntimeException> restartFailure = new AtomicReference<>();
        Thread restarter = Thread.ofPlatform().start(() -> {
            try {
                // Restart once every agent is online (not after a fixed sleep that a slow start would outlast).
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                        server.get("/api/robots?status=online&limit=500", server.adminKey()).json().get("items").size() >= 6);
                server.restart();
            } catch (RuntimeException e) {
                restartFailure.set(e);
            }
        });
        TestServer.CliResult result = TestServer.runCli("loadtest", "agents", "--server", server.baseUrl(), "--api-key", server.adminKey(),
                "--count", "6", "--heartbeat-s", "1", "--duration", "12", "--json", json.toString());
        restarter.join();
        assertThat(restartFailure.get()).as("restart").isNull();
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        JsonNode reconnects = report.get("result").get("reconnects");
        assertThat(reconnects.get("drops").asLong()).as(result.out() + result.err()).isGreaterThanOrEqualTo(6);
        assertThat(reconnects.get("reconnect_time").get("ok").asLong()).isGreaterThanOrEqualTo(6);
        assertThat(report.get("result").get("connected").asInt()).isEqualTo(6);
    }
}
