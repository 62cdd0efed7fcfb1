package dev.beacon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Several server nodes on one database: a node never touches the robots of another live node, a dead node's robots
 * and jobs are taken over once even when survivors race, names are unique among live nodes, and the API shows which
 * node holds each robot. The nodes share a {@link FakeClock} and renew their leases only when a test says so (their
 * renewal period is an hour), so a lease expires by moving the clock, not by waiting.
 */
@BeaconTest
class ClusterNodesTest implements BeaconServerExtension.ConfiguresServer {
    static final Duration EXPIRY = Duration.ofSeconds(10);

    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock();
    final List<BeaconServer> others = new ArrayList<>();
    final HttpClient http = HttpClient.newHttpClient();

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock).withNode(settings("node-a"));
    }

    private static NodeSettings settings(String name) {
        return NodeSettings.defaults().withName(name).withLease(Duration.ofHours(1), EXPIRY);
    }

    private BeaconServer node(String name) {
        BeaconServer node = server.startAnotherNode(config -> config.withNode(settings(name)));
        others.add(node);
        return node;
    }

    @AfterEach
    void stopOtherNodes() {
        others.forEach(BeaconServer::close);
    }

    @Test
    void a_robot_names_the_node_holding_its_socket_and_only_admins_list_the_nodes() throws Exception {
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "named-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("node").isNull()).isTrue();
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), enrolled.get("robot_token").asText())) {
            socket.hello().next("welcome");
            JsonNode robot = server.get("/api/robots/" + robotId, server.adminKey()).json();
            assertThat(robot.get("status").asText()).isEqualTo("online");
            assertThat(robot.get("node").asText()).isEqualTo("node-a");
            assertThat(server.get("/api/robots", server.adminKey()).json().get("items").get(0).get("node").asText()).isEqualTo("node-a");

            JsonNode nodes = server.get("/api/cluster/nodes", server.adminKey()).json().get("items");
            assertThat(nodes).hasSize(1);
            JsonNode node = nodes.get(0);
            assertThat(node.get("id").asText()).startsWith("node_");
            assertThat(node.get("name").asText()).isEqualTo("node-a");
            assertThat(node.get("url").asText()).startsWith("http://").doesNotContain("0.0.0.0");
            assertThat(node.get("status").asText()).isEqualTo("alive");
            assertThat(node.get("started_at").asText()).isNotEmpty();
            assertThat(node.get("last_heartbeat_at").asText()).isNotEmpty();
            assertThat(node.get("agents_connected").asInt()).isEqualTo(1);
        }

        TestServer.Response refused = server.get("/api/cluster/nodes", server.createApiKey("reader", "read"));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.code()).isEqualTo("forbidden");
        assertThat(server.get("/api/cluster/nodes", null).status()).isEqualTo(401);
    }

    @Test
    void a_second_node_leaves_the_robots_and_jobs_of_a_live_node_as_they_were() throws Exception {
        assumeThat(backend).isEqualTo(Backend.POSTGRESQL); // SQLite runs one server per data dir
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "steady-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        try (RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), enrolled.get("robot_token").asText())) {
            socket.hello().next("welcome");
            String jobId = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":\"x\"}", server.adminKey()).json().get("id").asText();
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(jobId);

            BeaconServer second = node("node-b");

            JsonNode robot = get(second, "/api/robots/" + robotId).json();
            assertThat(robot.get("status").asText()).isEqualTo("busy");
            assertThat(robot.get("node").asText()).isEqualTo("node-a");
            assertThat(robot.get("current_job").asText()).isEqualTo(jobId);
            JsonNode job = get(second, "/api/jobs/" + jobId).json();
            assertThat(job.get("status").asText()).isEqualTo("assigned");
            assertThat(job.get("attempts").asInt()).isEqualTo(1);
            JsonNode nodes = get(second, "/api/cluster/nodes").json().get("items");
            assertThat(nodes).extracting(node -> node.get("name").asText() + " " + node.get("status").asText())
                    .containsExactly("node-a alive", "node-b alive");
        }
    }

    @Test
    void a_name_a_live_node_holds_is_refused_with_one_line() {
        assumeThat(backend).isEqualTo(Backend.POSTGRESQL);
        assertThatThrownBy(() -> node("node-a")).isInstanceOf(NodeNameTaken.class)
                .hasMessageContaining("node name 'node-a' is held by a live node");

        // node-a's lease is on the fake clock, the CLI's server reads the real one: an hour ahead, node-a's lease is
        // fresh to it however slowly it starts on a loaded machine (past 12 s it would take the name and never exit).
        clock.advance(Duration.ofHours(1));
        server.server().node().renew();
        TestServer.CliResult cli = TestServer.runCli("server", "--port", "0", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl(), "--node-name", "node-a");
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.err().strip()).startsWith("✗ Beacon could not start: node name 'node-a' is held by a live node")
                .doesNotContain("\n");
    }

    @Test
    void a_dead_node_is_taken_over_once_even_when_two_survivors_race() throws Exception {
        assumeThat(backend).isEqualTo(Backend.POSTGRESQL);
        BeaconServer doomed = node("node-b");
        BeaconServer survivor = node("node-c");
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "orphan-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        try (RawAgentSocket socket = RawAgentSocket.connect(doomed.baseUrl(), enrolled.get("robot_token").asText())) {
            socket.hello().next("welcome");
            String jobId = post(doomed, "/api/jobs", "{\"kind\":\"echo\",\"payload\":\"x\",\"max_attempts\":3}").json().get("id").asText();
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(jobId);
            assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("node").asText()).isEqualTo("node-b");

            // node-b stops renewing; the others do, after its lease has expired.
            clock.advance(EXPIRY.plusSeconds(1));
            server.server().node().renew();
            survivor.node().renew();

            CountDownLatch go = new CountDownLatch(1);
            ExecutorService racers = Executors.newFixedThreadPool(2);
            List<Future<ClusterNode.Takeover>> takeovers = new ArrayList<>();
            for (BeaconServer racer : List.of(server.server(), survivor)) {
                takeovers.add(racers.submit(() -> {
                    go.await();
                    return racer.node().takeOverDeadNodes();
                }));
            }
            go.countDown();
            List<String> taken = new ArrayList<>();
            int robots = 0;
            int jobs = 0;
            for (Future<ClusterNode.Takeover> takeover : takeovers) {
                taken.addAll(takeover.get().nodes());
                robots += takeover.get().robots();
                jobs += takeover.get().jobs();
            }
            racers.shutdown();
            assertThat(taken).containsExactly("node-b");
            assertThat(robots).isEqualTo(1);
            assertThat(jobs).isEqualTo(1);

            JsonNode robot = server.get("/api/robots/" + robotId, server.adminKey()).json();
            assertThat(robot.get("status").asText()).isEqualTo("offline");
            assertThat(robot.get("node").isNull()).isTrue();
            assertThat(robot.get("current_job").isNull()).isTrue();
            assertThat(robot.get("connections").get(0).get("reason").asText()).isEqualTo("node_lost");
            JsonNode job = server.get("/api/jobs/" + jobId, server.adminKey()).json();
            assertThat(job.get("status").asText()).isEqualTo("queued");
            assertThat(job.get("attempts").asInt()).isEqualTo(1);
            assertThat(job.get("error").asText()).contains("node node-b").contains("(attempt 1 of 3); queued again");
            JsonNode nodes = server.get("/api/cluster/nodes", server.adminKey()).json().get("items");
            assertThat(nodes).extracting(node -> node.get("name").asText() + " " + node.get("status").asText())
                    .containsExactly("node-a alive", "node-b dead", "node-c alive");

            // A later pass finds nothing left to take over.
            assertThat(survivor.node().takeOverDeadNodes().nodes()).isEmpty();
        }
        // The dead node's own shutdown, late, changes nothing: its session no longer holds the robot or the job.
        doomed.close();
        others.remove(doomed);
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("status").asText()).isEqualTo("offline");
    }

    @Test
    void a_node_started_again_under_a_dead_nodes_name_resets_what_its_previous_run_held() throws Exception {
        assumeThat(backend).isEqualTo(Backend.POSTGRESQL);
        BeaconServer crashed = node("node-b");
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "left-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        try (RawAgentSocket socket = RawAgentSocket.connect(crashed.baseUrl(), enrolled.get("robot_token").asText())) {
            socket.hello().next("welcome");
            String jobId = post(crashed, "/api/jobs", "{\"kind\":\"echo\",\"payload\":\"x\",\"max_attempts\":1}").json().get("id").asText();
            assertThat(socket.next("job.assign").get("job_id").asText()).isEqualTo(jobId);

            clock.advance(EXPIRY.plusSeconds(1)); // node-b's lease runs out: its name is free again
            BeaconServer again = node("node-b");

            JsonNode robot = get(again, "/api/robots/" + robotId).json();
            assertThat(robot.get("status").asText()).isEqualTo("offline");
            assertThat(robot.get("node").isNull()).isTrue();
            JsonNode job = get(again, "/api/jobs/" + jobId).json();
            assertThat(job.get("status").asText()).isEqualTo("failed"); // its one attempt is spent
            assertThat(job.get("error").asText()).contains("(attempt 1 of 1); no attempts left");
            // The previous run is reaped, not left for a survivor to take over a second time.
            server.server().node().renew();
            assertThat(server.server().node().takeOverDeadNodes().nodes()).isEmpty();
        }
    }

    @Test
    void a_node_taken_over_while_it_still_ran_rejoins_under_a_new_id_and_its_agents_come_back_online() throws Exception {
        assumeThat(backend).isEqualTo(Backend.POSTGRESQL);
        BeaconServer paused = node("node-b");
        String oldId = paused.node().id();
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "paused-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        String token = enrolled.get("robot_token").asText();
        try (RawAgentSocket socket = RawAgentSocket.connect(paused.baseUrl(), token)) {
            socket.hello().next("welcome");

            // node-b misses its renewals (a long pause) and node-a takes it over while node-b's socket stays open.
            clock.advance(EXPIRY.plusSeconds(1));
            server.server().node().renew();
            assertThat(server.server().node().takeOverDeadNodes().nodes()).containsExactly("node-b");
            assertThat(get(paused, "/api/robots/" + robotId).json().get("status").asText()).isEqualTo("offline");

            // At its next renewal node-b finds itself reaped: it rejoins and asks its agents to connect again.
            paused.node().renew();
            assertThat(paused.node().id()).isNotEqualTo(oldId);
            assertThat(socket.next("bye").get("reason").asText()).isEqualTo("shutdown");
            assertThat(socket.awaitClosedWithin(Duration.ofSeconds(10))).isEqualTo(1012);
        }
        try (RawAgentSocket again = RawAgentSocket.connect(paused.baseUrl(), token)) {
            again.hello().next("welcome");
            JsonNode robot = get(server.server(), "/api/robots/" + robotId).json();
            assertThat(robot.get("status").asText()).isEqualTo("online");
            assertThat(robot.get("node").asText()).isEqualTo("node-b");
            JsonNode nodes = get(server.server(), "/api/cluster/nodes").json().get("items");
            assertThat(nodes).extracting(node -> node.get("name").asText() + " " + node.get("status").asText())
                    .as("the reaped row is stopped: node-b is listed once, alive")
                    .containsExactly("node-a alive", "node-b alive");
            // The robot is held under node-b's new id, which no survivor may take over while it renews.
            server.server().node().renew();
            assertThat(server.server().node().takeOverDeadNodes().nodes()).isEmpty();
            assertThat(get(server.server(), "/api/robots/" + robotId).json().get("status").asText()).isEqualTo("online");
        }
    }

    private TestServer.Response get(BeaconServer node, String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).GET());
    }

    private TestServer.Response post(BeaconServer node, String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private TestServer.Response send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.header("X-Beacon-API-Key", server.adminKey()).build(),
                HttpResponse.BodyHandlers.ofString());
        return new TestServer.Response(response.statusCode(), response.body(), response);
    }
}
