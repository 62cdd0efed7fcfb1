package dev.beacon.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code beacon loadtest} with several {@code --server} URLs: two server nodes on one PostgreSQL database in this JVM.
 * Claims and agents are spread over the nodes, {@code --submit-to} makes every dispatch cross nodes, and agents whose
 * node goes away fail over to the other. No timing is asserted.
 */
class LoadtestSeveralServersTest {
    private TestServer nodeA;
    private BeaconServer nodeB;

    @TempDir
    Path tmp;

    @BeforeEach
    void start() throws Exception {
        nodeA = TestServer.start(Backend.POSTGRESQL, config -> config.withHeartbeatInterval(1));
        Path dataDirB = Files.createTempDirectory(tmp, "node-b-");
        // All nodes share the secret key; node A wrote it at its first start.
        Files.copy(nodeA.dataDir().resolve("secret.key"), dataDirB.resolve("secret.key"));
        nodeB = BeaconServer.start(ServerConfig.defaults(dataDirB).withPort(0).withDatabaseUrl(nodeA.databaseUrl())
                .withAdminPassword("test-password").withHeartbeatInterval(1));
    }

    @AfterEach
    void stop() {
        if (nodeB != null) {
            nodeB.close();
        }
        nodeA.close();
    }

    @Test
    void claims_go_to_each_server_in_turn_and_the_report_names_them() throws Exception {
        Path json = tmp.resolve("enroll.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "enroll", "--server", nodeA.baseUrl(), "--server", nodeB.baseUrl(),
                "--api-key", nodeA.adminKey(), "--count", "40", "--concurrency", "4", "--json", json.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.out()).contains("servers", nodeA.baseUrl(), nodeB.baseUrl());
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("servers").size()).isEqualTo(2);
        assertThat(report.get("summary").get("ok").asLong()).isEqualTo(40);
        assertThat(metric(nodeA.baseUrl(), "beacon_enrollments_total")).isEqualTo(20);
        assertThat(metric(nodeB.baseUrl(), "beacon_enrollments_total")).isEqualTo(20);
    }

    @Test
    void submit_to_sends_every_job_to_one_node_while_the_agents_run_them_on_the_other() throws Exception {
        Path json = tmp.resolve("jobs.json");
        TestServer.CliResult result = TestServer.runCli("loadtest", "jobs", "--server", nodeA.baseUrl(), "--server", nodeB.baseUrl(),
                "--submit-to", "1", "--api-key", nodeA.adminKey(), "--agents", "3", "--count", "30", "--rate", "20", "--concurrency", "2",
                "--duration", "60", "--json", json.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.out()).contains("submitted to " + nodeA.baseUrl() + "; agents on " + nodeB.baseUrl());
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        assertThat(report.get("submitted_to").get(0).asText()).isEqualTo(nodeA.baseUrl());
        assertThat(report.get("agents_on").get(0).asText()).isEqualTo(nodeB.baseUrl());
        assertThat(report.get("result").get("jobs_done").asLong()).isEqualTo(30);
        assertThat(report.get("result").get("dispatch").get("ok").asLong()).isEqualTo(30);
        // Every job was queued on A with no agent there: B heard of each through a signal, or found it in its sweep.
        assertThat(metric(nodeB.baseUrl(), "beacon_cluster_signals_received_total")).isPositive();
    }

    @Test
    void submit_to_outside_the_server_list_is_refused() {
        TestServer.CliResult result = TestServer.runCli("loadtest", "jobs", "--server", nodeA.baseUrl(), "--server", nodeB.baseUrl(),
                "--submit-to", "3", "--api-key", nodeA.adminKey());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--submit-to", "1 to 2");
    }

    @Test
    void agents_of_a_node_that_goes_away_fail_over_to_the_other_and_the_report_counts_them() throws Exception {
        Path json = tmp.resolve("agents.json");
        AtomicReference<RuntimeException> stopFailure = new AtomicReference<>();
        Thread stopper = Thread.ofPlatform().start(() -> {
            try {
                // Stop node B once all eight agents are online, half of them on B.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                        nodeA.get("/api/robots?status=online&limit=500", nodeA.adminKey()).json().get("items").size() >= 8);
                nodeB.close();
                nodeB = null;
            } catch (RuntimeException e) {
                stopFailure.set(e);
            }
        });
        TestServer.CliResult result = TestServer.runCli("loadtest", "agents", "--server", nodeA.baseUrl(), "--server", nodeB.baseUrl(),
                "--api-key", nodeA.adminKey(), "--count", "8", "--heartbeat-s", "1", "--duration", "30", "--json", json.toString());
        stopper.join();

        assertThat(stopFailure.get()).as("stopping node B").isNull();
        JsonNode report = TestServer.JSON.readTree(json.toFile());
        JsonNode reconnects = report.get("result").get("reconnects");
        assertThat(reconnects.get("drops").asLong()).as(result.out() + result.err()).isGreaterThanOrEqualTo(4);
        assertThat(reconnects.get("reconnect_time").get("ok").asLong()).isGreaterThanOrEqualTo(4);
        assertThat(report.get("result").get("connected").asInt()).isEqualTo(8);
        assertThat(report.get("servers").size()).isEqualTo(2);
    }

    /** The sum of every sample of a metric on a node's {@code /metrics}. */
    private double metric(String baseUrl, String name) {
        double sum = 0;
        for (String line : nodeA.send(HttpRequest.newBuilder(URI.create(baseUrl + "/metrics")).GET()).body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
