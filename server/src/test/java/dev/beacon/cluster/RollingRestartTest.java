package dev.beacon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.beacon.loadtest.SimulatedAgents;
import dev.beacon.testing.NodeProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling restart of three real node processes on one PostgreSQL database, one node at a time with SIGTERM, while
 * 300 simulated agents (spread over the nodes, each knowing all three URLs) run a steady stream of jobs submitted
 * round-robin to the nodes with {@code max_attempts} 1: every job a node accepted ends {@code succeeded}, none is
 * lost and none fails, so a restart never used up a job's only attempt.
 */
class RollingRestartTest {
    private static final int AGENTS = 300;
    private static final int JOBS_PER_SECOND = 30;
    /** Each job runs this long at most on its agent, so that some are running whenever a node stops. */
    private static final int MAX_JOB_MILLIS = 1_500;
    private static final Duration STEADY = Duration.ofSeconds(4);
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = dev.beacon.server.BeaconServer.objectMapper();
    private static final Pattern DRAINED = Pattern.compile("drained in (\\d+) ms|drain stopped after (\\d+) ms|draining: no job");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void a_rolling_restart_of_three_nodes_under_a_steady_job_stream_loses_no_job_and_fails_none() throws Exception {
        long began = System.nanoTime();
        try (NodeProcesses cluster = NodeProcesses.onNewDatabase(dir)) {
            cluster.start("node-a", "--shutdown-grace", "10"); // migrates the database; the other two start side by side
            Thread nodeB = Thread.ofPlatform().start(() -> cluster.start("node-b", "--shutdown-grace", "10"));
            cluster.start("node-c", "--shutdown-grace", "10");
            nodeB.join();
            progress(began, "3 nodes started");
            assertThat(cluster.nodes()).as("nodes started").hasSize(3);
            List<URI> urls = cluster.nodes().stream().map(node -> URI.create(node.url())).toList();
            String apiKey = cluster.apiKey();
            try (SimulatedAgents agents = SimulatedAgents.start(urls, apiKey, AGENTS, 15, Duration.ofSeconds(60))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> agents.connected() == AGENTS);
                progress(began, AGENTS + " agents enrolled and connected");
                Submitter submitter = new Submitter(urls, apiKey);
                Thread stream = Thread.ofPlatform().name("job-stream").start(submitter);
                List<String> stops = new ArrayList<>();
                try {
                    Thread.sleep(STEADY.toMillis());
                    for (NodeProcesses.Node node : cluster.nodes()) {
                        long stopping = System.nanoTime();
                        int exit = node.stop();
                        long stoppedMillis = (System.nanoTime() - stopping) / 1_000_000;
                        Thread.sleep(500); // the node's last lines are still being read from its output
                        assertThat(exit).as("exit status of %s after SIGTERM (143: the JVM's own, after a clean shutdown)", node.name()).isIn(0, 143);
                        stops.add(node.name() + ": SIGTERM to exit " + stoppedMillis + " ms (" + drainLine(node.log()) + ")");
                        progress(began, node.name() + " stopped in " + stoppedMillis + " ms (" + drainLine(node.log()) + ")");
                        node.restart();
                        progress(began, node.name() + " restarted");
                        Thread.sleep(STEADY.toMillis());
                    }
                } finally {
                    submitter.stop.set(true);
                    stream.join(30_000);
                }
                Set<String> accepted = submitter.accepted.keySet();
                assertThat(accepted).as("jobs accepted").hasSizeGreaterThan(100);

                // Every accepted job ends, and ends well: none lost (all stored), none failed, none used a second attempt.
                Map<String, Long>[] seen = new Map[1];
                // The database is shared with other tests: a refused connection ("too many clients") is tried again.
                try {
                    await().atMost(SETTLE).pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(SQLException.class)
                            .until(() -> (seen[0] = statusCounts(cluster.databaseUrl())).keySet().equals(Set.of("succeeded")));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("jobs by status " + seen[0] + "; not succeeded:\n" + unfinished(cluster.databaseUrl())
                            + "\nnode lines:\n" + cluster.nodes().stream().map(node -> node.name() + ":\n" + node.log().lines()
                                    .filter(line -> line.contains("WARN") || line.contains("ERROR") || line.contains("drain"))
                                    .limit(40).reduce("", (a, b) -> a + b + "\n")).reduce("", String::concat), e);
                }
                Outcomes[] read = new Outcomes[1];
                await().atMost(SETTLE).pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(SQLException.class)
                        .until(() -> (read[0] = outcomes(cluster.databaseUrl())) != null);
                Outcomes outcomes = read[0];
                assertThat(outcomes.ids()).as("every accepted job is stored").containsAll(accepted);
                assertThat(seen[0]).containsOnlyKeys("succeeded");
                assertThat(outcomes.maxAttempts()).as("no attempt was used up by a restart").isEqualTo(1);
                assertThat(submitter.refusedFinally.get()).as("jobs never accepted by any node").isZero();

                System.out.printf("rolling restart: %d jobs accepted (%d submit retries on another node), all %d succeeded; "
                                + "%d restarts; longest time from submit to success %d ms; jobs given back at shutdown %d; agent drops %d "
                                + "(byes %s), slowest reconnect %d ms; %d s in all%n%s%n",
                        accepted.size(), submitter.retries.get(), outcomes.ids().size(), stops.size(), outcomes.longestMillis(),
                        outcomes.givenBack(), agents.drops(), agents.byes(), agents.slowestReconnectMillis(),
                        (System.nanoTime() - began) / 1_000_000_000, String.join("\n", stops));
                assertThat(stops).hasSize(3);
            }
        }
    }

    private static void progress(long began, String what) {
        System.out.printf("rolling restart: %s at %.1f s%n", what, (System.nanoTime() - began) / 1e9);
    }

    /** What the node's last drain said: its log line, shortened. */
    private static String drainLine(String log) {
        String last = "no drain line";
        for (String line : log.lines().toList()) {
            Matcher matcher = DRAINED.matcher(line);
            if (matcher.find()) {
                last = matcher.group();
            }
        }
        return last;
    }

    /** The jobs that did not succeed, with the session that holds them and where that session lived. */
    private static String unfinished(String databaseUrl) {
        try (Connection connection = DriverManager.getConnection(databaseUrl);
             ResultSet rows = connection.createStatement().executeQuery("""
                     SELECT j.id, j.status, j.attempts, j.error, j.session_id, c.node_id, c.disconnected_at, c.reason,
                            (SELECT n.name || ' stopped=' || COALESCE(n.stopped_at::text, '-') FROM nodes n WHERE n.id = c.node_id)
                     FROM jobs j LEFT JOIN robot_connections c ON c.session_id = j.session_id
                     WHERE j.status <> 'succeeded' LIMIT 20""")) {
            StringBuilder out = new StringBuilder();
            while (rows.next()) {
                for (int i = 1; i <= 9; i++) {
                    out.append(rows.getString(i)).append(i == 9 ? "\n" : " | ");
                }
            }
            return out.toString();
        } catch (SQLException e) {
            return "(could not read: " + e.getMessage() + ")";
        }
    }

    private static Map<String, Long> statusCounts(String databaseUrl) throws SQLException {
        try (Connection connection = DriverManager.getConnection(databaseUrl);
             ResultSet rows = connection.createStatement().executeQuery("SELECT status, COUNT(*) FROM jobs GROUP BY status")) {
            Map<String, Long> counts = new TreeMap<>();
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getLong(2));
            }
            return counts;
        }
    }

    private record Outcomes(Set<String> ids, int maxAttempts, long longestMillis, long givenBack) {
    }

    private static Outcomes outcomes(String databaseUrl) throws SQLException {
        try (Connection connection = DriverManager.getConnection(databaseUrl);
             ResultSet rows = connection.createStatement().executeQuery("SELECT id, attempts, finished_at - created_at, error FROM jobs")) {
            Set<String> ids = new java.util.HashSet<>();
            int maxAttempts = 0;
            long longest = 0;
            long givenBack = 0;
            while (rows.next()) {
                ids.add(rows.getString(1));
                maxAttempts = Math.max(maxAttempts, rows.getInt(2));
                longest = Math.max(longest, rows.getLong(3));
                String error = rows.getString(4);
                if (error != null && error.contains("does not count")) {
                    givenBack++;
                }
            }
            return new Outcomes(ids, maxAttempts, longest, givenBack);
        }
    }

    /**
     * Submits {@value #JOBS_PER_SECOND} echo jobs a second, round-robin over the nodes, each with its own
     * {@code Idempotency-Key}: a node that cannot take it (stopped, restarting) makes the same job go to the next node,
     * so a job counts as accepted once a node answered 202, and exactly one is stored for it. Bounded by
     * {@link #stop} and by at most 10,000 jobs.
     */
    private final class Submitter implements Runnable {
        final List<URI> urls;
        final String apiKey;
        final AtomicBoolean stop = new AtomicBoolean();
        final Map<String, Boolean> accepted = new ConcurrentHashMap<>();
        final AtomicInteger retries = new AtomicInteger();
        final AtomicInteger refusedFinally = new AtomicInteger();
        final AtomicLong next = new AtomicLong();

        Submitter(List<URI> urls, String apiKey) {
            this.urls = urls;
            this.apiKey = apiKey;
        }

        @Override
        public void run() {
            long periodNanos = 1_000_000_000L / JOBS_PER_SECOND;
            long due = System.nanoTime();
            for (int n = 0; n < 10_000 && !stop.get(); n++) {
                submit(n);
                due += periodNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(Duration.ofNanos(wait));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        private void submit(int n) {
            String body = "{\"kind\":\"echo\",\"max_attempts\":1,\"payload\":{\"n\":" + n + ",\"sleep_ms\":"
                    + ThreadLocalRandom.current().nextInt(50, MAX_JOB_MILLIS) + "}}";
            String idempotencyKey = "rolling-" + n;
            for (int attempt = 0; attempt < urls.size() * 10; attempt++) {
                URI url = urls.get((int) (next.getAndIncrement() % urls.size()));
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(url.resolve("/api/jobs"))
                            .timeout(Duration.ofSeconds(10)).header("X-Beacon-API-Key", apiKey).header("Idempotency-Key", idempotencyKey)
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 202 || response.statusCode() == 200) {
                        accepted.put(JSON.readTree(response.body()).get("id").asText(), Boolean.TRUE);
                        return;
                    }
                } catch (IOException e) {
                    // the node is stopped or restarting: the same job (same key) goes to the next node
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                retries.incrementAndGet();
            }
            refusedFinally.incrementAndGet();
        }
    }
}
