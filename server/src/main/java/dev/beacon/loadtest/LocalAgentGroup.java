package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Simulated agents held in this process: enrolls {@code count} robots, connects them and starts their
 * heartbeats on a thread of its own. Also the body of a worker process. Thread-safe.
 */
final class LocalAgentGroup implements AgentGroup {
    private final CompletableFuture<AgentFleet> ready = new CompletableFuture<>();
    private volatile AgentFleet fleet;
    private volatile double enrollSeconds;
    private volatile double connectSeconds;

    LocalAgentGroup(HttpClient client, ObjectMapper json, List<URI> servers, String apiKey, PrintWriter out, int count, int heartbeatSeconds,
                    int durationSeconds, long connectDeadlineNanos) {
        Thread.ofPlatform().daemon().name("loadtest-agents-setup").start(() -> {
            try {
                long enrollStart = System.nanoTime();
                List<String> tokens = new ServerApi(client, json, servers, apiKey).enrollRobots("agents", count, out);
                enrollSeconds = (System.nanoTime() - enrollStart) / 1e9;
                out.printf("enrolled %d %s in %.1f s%n", tokens.size(), tokens.size() == 1 ? "robot" : "robots", enrollSeconds);
                out.flush();
                int beats = (int) Math.min(5_000_000L, (long) count * (durationSeconds / Math.max(1, heartbeatSeconds) + 2));
                AgentFleet agents = new AgentFleet(client, json, servers, tokens, beats, 0);
                fleet = agents;
                long connectStart = System.nanoTime();
                // Heartbeats first, as a real agent beats from its welcome on: a fleet that takes longer than three
                // intervals to connect must not see its first agents declared gone.
                agents.startHeartbeats(heartbeatSeconds);
                agents.connectAll(connectDeadlineNanos);
                connectSeconds = (System.nanoTime() - connectStart) / 1e9;
                ready.complete(agents);
            } catch (IOException | RuntimeException e) {
                ready.completeExceptionally(e);
            } catch (InterruptedException e) {
                ready.completeExceptionally(e);
            }
        });
    }

    @Override
    public void awaitConnected(long deadlineNanos) throws IOException, InterruptedException {
        try {
            ready.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the agents were not enrolled and connected before the deadline");
        }
    }

    @Override
    public void startMeasuring() {
        AgentFleet agents = fleet;
        if (agents != null) {
            agents.startMeasuring();
        }
    }

    double enrollSeconds() {
        return enrollSeconds;
    }

    double connectSeconds() {
        return connectSeconds;
    }

    @Override
    public int connected() {
        AgentFleet agents = fleet;
        return agents == null ? 0 : agents.connected();
    }

    @Override
    public long heartbeatsAcked() {
        AgentFleet agents = fleet;
        return agents == null ? 0 : agents.heartbeats.successes();
    }

    @Override
    public long errors() {
        AgentFleet agents = fleet;
        return agents == null ? 0 : agents.heartbeats.errorCount();
    }

    /** The fleet, once connected. */
    AgentFleet fleet() {
        return fleet;
    }

    @Override
    public Outcome finish() throws InterruptedException {
        AgentFleet agents = fleet;
        if (agents == null) {
            return new Outcome(enrollSeconds, connectSeconds, new AgentFleet.Counts(0, 0, 0, 0, java.util.Map.of(), 0, 0, 0),
                    new long[0], java.util.Map.of(), new long[0], java.util.Map.of());
        }
        AgentFleet.Counts counts = agents.counts();
        agents.close();
        return new Outcome(enrollSeconds, connectSeconds, counts, agents.heartbeats.samples(), agents.heartbeats.errorsByCode(),
                agents.reconnects.samples(), agents.reconnects.errorsByCode());
    }
}
