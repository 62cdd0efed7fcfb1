package dev.beacon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.Main;
import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.HandlerConfig;
import dev.beacon.agent.cli.AgentCommand;
import dev.beacon.testing.NodeProcesses;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Three (then four) {@code beacon server} processes on one PostgreSQL database, with real {@code beacon agent}
 * processes spread over them, each enrolled with every node's URL in its own order of preference. The nodes are
 * shared by the tests of this class; the node-death test comes last, since it kills one of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Duration WAIT = Duration.ofSeconds(60);
    /** Seconds between agent heartbeats, on every node: short, so that a silent socket is noticed soon. */
    static final String HEARTBEAT_S = "3";

    @TempDir
    static Path tmp;
    NodeProcesses cluster;
    String apiKey;
    String siteId;
    String fleetId;
    String enrollmentKey;
    final List<Agent> agents = new ArrayList<>();

    NodeProcesses.Node a;
    NodeProcesses.Node b;
    NodeProcesses.Node c;

    @BeforeAll
    void startNodesAndAgents() throws Exception {
        cluster = NodeProcesses.onNewDatabase(tmp.resolve("nodes"));
        a = cluster.start("A", "--heartbeat-interval", HEARTBEAT_S);
        apiKey = cluster.apiKey();
        CompletableFuture<NodeProcesses.Node> startB = CompletableFuture.supplyAsync(() -> startNode("B"));
        CompletableFuture<NodeProcesses.Node> startC = CompletableFuture.supplyAsync(() -> startNode("C"));
        siteId = post(a, "/api/sites", "{\"name\":\"yard\"}").path("id").asText();
        fleetId = post(a, "/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"movers\"}").path("id").asText();
        enrollmentKey = post(a, "/api/enrollment-keys", "{\"site_id\":\"" + siteId + "\",\"fleet_id\":\"" + fleetId
                + "\",\"name\":\"cluster\",\"max_uses\":50}").path("key_value").asText();
        b = startB.join();
        c = startC.join();

        List<Agent> started = List.of(
                startAgent("prefers-a", a, b, c),
                startAgent("prefers-b", b, c, a),
                startAgent("prefers-c", c, a, b));
        for (Agent agent : started) {
            awaitOnlineOn(agent, agent.preferred());
        }
    }

    NodeProcesses.Node startNode(String name) {
        return cluster.start(name, "--heartbeat-interval", HEARTBEAT_S);
    }

    @AfterAll
    void stopEverything() throws IOException {
        for (Agent agent : agents) {
            agent.process().destroyForcibly();
        }
        if (cluster != null) {
            // What every process printed, kept beside the test reports for a failure to be understood.
            Path logs = Files.createDirectories(Path.of("target", "cluster-processes"));
            for (NodeProcesses.Node node : cluster.nodes()) {
                Files.writeString(logs.resolve("node-" + node.name() + ".log"), node.log());
            }
            for (Agent agent : agents) {
                Files.writeString(logs.resolve("agent-" + agent.name() + ".log"), agent.log());
            }
            cluster.close();
        }
    }

    // ---------------------------------------------------------------- scenarios

    @Test
    @Order(1)
    void each_agent_is_held_by_the_first_node_of_its_own_list() throws Exception {
        Map<String, String> nodeOf = new HashMap<>();
        for (JsonNode robot : get(a, "/api/robots?limit=100").path("items")) {
            nodeOf.put(robot.path("name").asText(), robot.path("node").isNull() ? null : robot.path("node").asText());
        }
        assertThat(nodeOf).containsEntry("prefers-a", "A").containsEntry("prefers-b", "B").containsEntry("prefers-c", "C");
        JsonNode nodes = get(b, "/api/cluster/nodes");
        Map<String, Integer> connected = new HashMap<>();
        for (JsonNode node : nodes.path("items")) {
            connected.put(node.path("name").asText(), node.path("agents_connected").asInt());
            assertThat(node.path("status").asText()).as(node.toString()).isEqualTo("alive");
        }
        assertThat(connected).containsKeys("A", "B", "C");
    }

    @Test
    @Order(2)
    void a_job_submitted_on_a_runs_on_the_agent_held_by_c_and_a_cancel_on_b_stops_it() throws Exception {
        Agent onC = agent("prefers-c");
        long submitted = System.nanoTime();
        JsonNode job = post(a, "/api/jobs", "{\"kind\":\"hold\",\"timeout_s\":120,\"max_attempts\":1,"
                + "\"target\":{\"robot_id\":\"" + onC.robotId() + "\"}}");
        String jobId = job.path("id").asText();

        JsonNode running = awaitJob(c, jobId, j -> j.path("status").asText().equals("running"));
        double startMs = millisSince(submitted);
        assertThat(running.path("robot_id").asText()).isEqualTo(onC.robotId());
        ProcessHandle handler = awaitHandlerProcess(jobId);
        System.out.printf("cluster: job submitted on A ran on the agent held by C %.0f ms after the submit answered%n", startMs);

        long cancelled = System.nanoTime();
        HttpResponse<String> cancel = send(b, "POST", "/api/jobs/" + jobId + "/cancel", "{}", apiKey);
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
        JsonNode ended = awaitJob(a, jobId, j -> j.path("status").asText().equals("cancelled"));
        double cancelMs = millisSince(cancelled);
        await().atMost(Duration.ofSeconds(10)).until(() -> !handler.isAlive());
        System.out.printf("cluster: cancel on B ended the job on C's agent as cancelled %.0f ms after the cancel answered%n", cancelMs);

        assertThat(ended.path("attempts").asInt()).isEqualTo(1);
        assertThat(cancelMs).as("the cancel reached the agent on C through a signal, not a sweep").isLessThan(5_000);
        await().atMost(WAIT).until(() -> robot(a, onC.robotId()).path("status").asText().equals("online"));
        assertThat(onC.process().isAlive()).isTrue();
    }

    @Test
    @Order(3)
    void revoking_a_token_on_a_closes_its_agents_socket_on_c_and_the_agent_exits_3() throws Exception {
        Agent victim = startAgent("revoked-on-a", c, a, b);
        awaitOnlineOn(victim, c);

        long revoked = System.nanoTime();
        HttpResponse<String> answer = send(a, "POST", "/api/robots/" + victim.robotId() + "/revoke-token", "{}", apiKey);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        long answered = System.nanoTime();

        assertThat(victim.process().waitFor(30, TimeUnit.SECONDS)).as(victim.log()).isTrue();
        double exitMs = (System.nanoTime() - answered) / 1e6;
        System.out.printf("cluster: revoke-token on A: the agent on C exited %.0f ms after the answer (%.0f ms after the request)%n",
                exitMs, (System.nanoTime() - revoked) / 1e6);
        assertThat(victim.process().exitValue()).as(victim.log()).isEqualTo(3);
        // The bound leaves room for a loaded machine: a JVM exit after the close takes its own time.
        assertThat(exitMs).as(victim.log()).isLessThan(5_000);
        assertThat(victim.log()).contains("revoked");
    }

    @Test
    @Order(4)
    void deleting_a_robot_on_a_closes_its_agents_socket_on_c_and_the_agent_exits_3() throws Exception {
        Agent victim = startAgent("removed-on-a", c, b, a);
        awaitOnlineOn(victim, c);

        HttpResponse<String> answer = send(a, "DELETE", "/api/robots/" + victim.robotId(), null, apiKey);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(204);
        long answered = System.nanoTime();

        assertThat(victim.process().waitFor(30, TimeUnit.SECONDS)).as(victim.log()).isTrue();
        double exitMs = (System.nanoTime() - answered) / 1e6;
        System.out.printf("cluster: DELETE robot on A: the agent on C exited %.0f ms after the answer%n", exitMs);
        assertThat(victim.process().exitValue()).as(victim.log()).isEqualTo(3);
        assertThat(exitMs).as(victim.log()).isLessThan(5_000);
        assertThat(victim.log()).contains("removed");
    }

    @Test
    @Order(5)
    void an_api_key_revoked_on_a_is_refused_on_b_and_c_within_a_second() throws Exception {
        JsonNode created = post(a, "/api/api-keys", "{\"name\":\"short-lived\",\"scopes\":[\"read\"]}");
        String key = created.path("key").asText();
        // Used on B and C first, so that both hold it in their one-second cache when it is revoked.
        for (NodeProcesses.Node node : List.of(b, c)) {
            assertThat(send(node, "GET", "/api/robots?limit=1", null, key).statusCode()).isEqualTo(200);
        }

        HttpResponse<String> revoke = send(a, "DELETE", "/api/api-keys/" + created.path("id").asText(), null, apiKey);
        assertThat(revoke.statusCode()).as(revoke.body()).isEqualTo(200);
        long answered = System.nanoTime();

        for (NodeProcesses.Node node : List.of(b, c)) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> send(node, "GET", "/api/robots?limit=1", null, key).statusCode() == 401);
            double refusedMs = (System.nanoTime() - answered) / 1e6;
            System.out.printf("cluster: API key revoked on A is refused on %s %.0f ms after the revoke answered%n",
                    node.name(), refusedMs);
            assertThat(refusedMs).isLessThan(3_000);
        }
    }

    @Test
    @Order(6)
    void a_fourth_node_started_on_the_same_database_leaves_every_robots_status_and_node_as_they_were() throws Exception {
        Map<String, String> before = statusAndNode(a);
        assertThat(before).containsEntry("prefers-a", "online@A").containsEntry("prefers-b", "online@B")
                .containsEntry("prefers-c", "online@C");

        NodeProcesses.Node d = startNode("D");

        for (int i = 0; i < 3; i++) { // over a few of D's scheduler ticks, on D itself and on A
            assertThat(statusAndNode(d)).isEqualTo(before);
            assertThat(statusAndNode(a)).isEqualTo(before);
            Thread.sleep(1_000);
        }
        assertThat(get(d, "/api/cluster/nodes").toString()).contains("\"D\"");
    }

    @Test
    @Order(7)
    void kill_9_of_a_node_holding_agents_and_running_jobs_loses_no_job_and_its_agents_come_back_through_the_others()
            throws Exception {
        Agent onB = agent("prefers-b");
        Agent secondOnB = startAgent("second-on-b", b, a, c);
        awaitOnlineOn(secondOnB, b);
        List<Agent> heldByB = List.of(onB, secondOnB);

        // Jobs pinned to B's robots (running when B dies) and jobs for anyone (queued behind them or running elsewhere).
        List<String> jobIds = new ArrayList<>();
        for (Agent agent : heldByB) {
            jobIds.add(submitWork(a, "{\"robot_id\":\"" + agent.robotId() + "\"}"));
        }
        for (int i = 0; i < 6; i++) {
            jobIds.add(submitWork(i % 2 == 0 ? a : c, "{}"));
        }
        for (Agent agent : heldByB) {
            await().atMost(WAIT).until(() -> robot(a, agent.robotId()).path("status").asText().equals("busy"));
        }

        long killed = System.nanoTime();
        b.kill();
        double killedMs = millisSince(killed);

        for (Agent agent : heldByB) {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode robot = robot(a, agent.robotId());
                return !"B".equals(robot.path("node").asText(null)) || robot.path("status").asText().equals("offline");
            });
        }
        double notOnBMs = millisSince(killed);
        System.out.printf("cluster: kill -9 of B (took %.0f ms): none of its robots is shown online on B any more %.0f ms after the kill%n",
                killedMs, notOnBMs);
        // Their agents reconnect elsewhere at once; the lease tells when a survivor took B over (and requeued its jobs).
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> nodeStatus(a, "B").equals("dead"));
        double deadMs = millisSince(killed);
        System.out.printf("cluster: B is listed dead %.0f ms after the kill%n", deadMs);
        assertThat(notOnBMs).as("within the lease expiry (12 s) and a renewal period, with room for load").isLessThan(20_000);
        assertThat(deadMs).as("within the lease expiry (12 s) and a renewal period, with room for load").isLessThan(20_000);

        for (Agent agent : heldByB) {
            await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode robot = robot(a, agent.robotId());
                return !robot.path("status").asText().equals("offline") && !robot.path("node").isNull()
                        && !"B".equals(robot.path("node").asText());
            });
        }
        double backMs = millisSince(killed);
        System.out.printf("cluster: B's agents are back online through other nodes %.0f ms after the kill (%s)%n", backMs,
                heldByB.stream().map(agent -> agent.name() + "@" + robot(a, agent.robotId()).path("node").asText()).toList());
        assertThat(backMs).isLessThan(30_000);
        for (Agent agent : heldByB) {
            assertThat(agent.process().isAlive()).as(agent.log()).isTrue();
        }

        // Every job acknowledged to the client ends once, in one final state, with the result of its last attempt.
        Map<String, JsonNode> finals = new LinkedHashMap<>();
        for (String jobId : jobIds) {
            finals.put(jobId, awaitJob(a, jobId, job -> isFinal(job.path("status").asText())));
        }
        double doneMs = millisSince(killed);
        Thread.sleep(3_000); // a late or repeated result would show now
        int requeued = 0;
        for (Map.Entry<String, JsonNode> entry : finals.entrySet()) {
            JsonNode first = entry.getValue();
            JsonNode again = get(c, "/api/jobs/" + entry.getKey());
            assertThat(first.path("status").asText()).as(first.toString()).isEqualTo("succeeded");
            assertThat(again.path("status").asText()).isEqualTo("succeeded");
            assertThat(again.path("finished_at").asText()).as(again.toString()).isEqualTo(first.path("finished_at").asText());
            assertThat(again.path("attempts").asInt()).isBetween(1, 3);
            assertThat(again.path("output").asText()).as("the recorded result is the last attempt's")
                    .isEqualTo("attempt " + again.path("attempts").asInt());
            if (again.path("attempts").asInt() > 1) {
                requeued++;
            }
        }
        System.out.printf("cluster: all %d jobs succeeded once %.0f ms after the kill; %d ran again after B died%n",
                jobIds.size(), doneMs, requeued);
        assertThat(requeued).as("the jobs running on B's agents were requeued").isGreaterThanOrEqualTo(2);

        await().atMost(WAIT).until(() -> {
            for (JsonNode robot : get(a, "/api/robots?limit=100").path("items")) {
                if (robot.path("status").asText().equals("busy")) {
                    return false;
                }
            }
            return true;
        });
        JsonNode nodes = get(a, "/api/cluster/nodes");
        System.out.println("cluster: nodes after the kill: " + nodes);
    }

    // ---------------------------------------------------------------- helpers

    String submitWork(NodeProcesses.Node node, String target) throws Exception {
        HttpResponse<String> response = send(node, "POST", "/api/jobs", "{\"kind\":\"work\",\"timeout_s\":60,"
                + "\"max_attempts\":3,\"target\":" + target + "}", apiKey);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return JSON.readTree(response.body()).path("id").asText();
    }

    String nodeStatus(NodeProcesses.Node node, String name) throws Exception {
        for (JsonNode listed : get(node, "/api/cluster/nodes").path("items")) {
            if (listed.path("name").asText().equals(name)) {
                return listed.path("status").asText();
            }
        }
        return "absent";
    }

    static boolean isFinal(String status) {
        return List.of("succeeded", "failed", "timed_out", "cancelled").contains(status);
    }

    static double millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e6;
    }

    Map<String, String> statusAndNode(NodeProcesses.Node node) throws Exception {
        Map<String, String> seen = new java.util.TreeMap<>();
        for (JsonNode robot : get(node, "/api/robots?limit=100").path("items")) {
            seen.put(robot.path("name").asText(), robot.path("status").asText() + "@" + robot.path("node").asText(null));
        }
        return seen;
    }

    ProcessHandle awaitHandlerProcess(String jobId) {
        Path pidFile = tmp.resolve("handlers").resolve(jobId + ".pid");
        await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Agent agent(String name) {
        return agents.stream().filter(agent -> agent.name().equals(name)).findFirst().orElseThrow();
    }

    void awaitOnlineOn(Agent agent, NodeProcesses.Node node) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).alias(agent.name() + " online on " + node.name())
                .until(() -> {
                    if (!agent.process().isAlive()) {
                        throw new AssertionError("agent " + agent.name() + " exited:\n" + agent.log());
                    }
                    JsonNode robot = robot(node, agent.robotId());
                    return robot.path("status").asText().equals("online") && node.name().equals(robot.path("node").asText());
                });
    }

    JsonNode robot(NodeProcesses.Node node, String robotId) {
        try {
            return get(node, "/api/robots/" + robotId);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode awaitJob(NodeProcesses.Node node, String jobId, java.util.function.Predicate<JsonNode> condition) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).alias("job " + jobId)
                .until(() -> condition.test(seen[0] = get(node, "/api/jobs/" + jobId)));
        return seen[0];
    }

    /**
     * Enrolls a robot with {@code beacon agent enroll}, one {@code --server} per node in {@code servers}' order, adds
     * the job handlers to its agent.toml, and starts {@code beacon agent run} as a process of its own.
     */
    Agent startAgent(String name, NodeProcesses.Node... servers) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("agents").resolve(name));
        Path handlers = Files.createDirectories(tmp.resolve("handlers"));
        Path keyFile = Files.writeString(dir.resolve("enrollment.key"), enrollmentKey + "\n");
        Path config = dir.resolve("agent.toml");
        List<String> args = new ArrayList<>(List.of("enroll", "--name", name, "--config", config.toString(), "--no-start",
                "--enrollment-key-file", keyFile.toString()));
        for (NodeProcesses.Node server : servers) {
            args.addAll(List.of("--server", server.url()));
        }
        StringWriter out = new StringWriter();
        int code = new CommandLine(new AgentCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(out, true))
                .execute(args.toArray(String[]::new));
        assertThat(code).as(out.toString()).isZero();

        AgentConfigFile file = AgentConfigFile.at(config);
        AgentConfig enrolled = file.read().orElseThrow();
        assertThat(enrolled.servers()).containsExactlyElementsOf(List.of(servers).stream().map(NodeProcesses.Node::url).toList());
        Map<String, HandlerConfig> kinds = new LinkedHashMap<>();
        kinds.put("hold", new HandlerConfig(List.of("sh", "-c", "echo $$ > " + handlers + "/$BEACON_JOB_ID.pid; exec sleep 120"), null));
        kinds.put("work", new HandlerConfig(List.of("sh", "-c", "sleep 3; printf 'attempt %s' \"$BEACON_JOB_ATTEMPT\""), null));
        file.write(new AgentConfig(enrolled.servers(), enrolled.robotId(), enrolled.robotToken(), enrolled.name(),
                enrolled.organization(), enrolled.site(), enrolled.fleet(), enrolled.caCert(), enrolled.labels(), kinds));

        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = dir.resolve("agent.log");
        Process process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx96m", "-XX:TieredStopAtLevel=1",
                "-cp", classpath, Main.class.getName(), "agent", "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Agent agent = new Agent(name, enrolled.robotId(), servers[0], process, log);
        agents.add(agent);
        return agent;
    }

    /** A real agent process, the node it prefers, and the file its output goes to. */
    record Agent(String name, String robotId, NodeProcesses.Node preferred, Process process, Path logFile) {
        String log() {
            try {
                return Files.readString(logFile);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }

    JsonNode get(NodeProcesses.Node node, String path) throws Exception {
        HttpResponse<String> response = send(node, "GET", path, null, apiKey);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    JsonNode post(NodeProcesses.Node node, String path, String body) throws Exception {
        HttpResponse<String> response = send(node, "POST", path, body, apiKey);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isBetween(200, 299);
        return JSON.readTree(response.body());
    }

    static HttpResponse<String> send(NodeProcesses.Node node, String method, String path, String body, String key)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(15))
                .header("X-Beacon-API-Key", key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
