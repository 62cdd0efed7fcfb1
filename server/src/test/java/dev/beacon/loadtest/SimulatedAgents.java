package dev.beacon.loadtest;

import dev.beacon.server.BeaconServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The load generator's simulated agents ({@link AgentFleet}) for tests outside this package: {@code count} robots
 * enrolled on a fresh key, each knowing every server URL and failing over between them like the real agent, running
 * {@code echo} jobs (after {@code payload.sleep_ms}). Closing closes every socket. Thread-safe.
 */
public final class SimulatedAgents implements AutoCloseable {
    private final AgentFleet fleet;

    private SimulatedAgents(AgentFleet fleet) {
        this.fleet = fleet;
    }

    /**
     * Enrolls {@code count} robots through the first server with the admin {@code apiKey}, connects them (agent
     * {@code i} starting at server {@code i % servers.size()}) and starts their heartbeats; returns once each has been
     * welcomed or failed its first connect, or after {@code connectWithin}.
     */
    public static SimulatedAgents start(List<URI> servers, String apiKey, int count, int heartbeatSeconds, Duration connectWithin)
            throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        var json = BeaconServer.objectMapper();
        PrintWriter out = new PrintWriter(System.out, true);
        List<String> tokens = new ServerApi(client, json, List.of(servers.getFirst()), apiKey).enrollRobots("sim", count, out);
        if (tokens.size() != count) {
            throw new IOException("enrolled only " + tokens.size() + " of " + count + " robots");
        }
        AgentFleet fleet = new AgentFleet(client, json, servers, tokens, count * 100, 0);
        fleet.startHeartbeats(heartbeatSeconds);
        fleet.connectAll(System.nanoTime() + connectWithin.toNanos());
        return new SimulatedAgents(fleet);
    }

    /** Agents welcomed and connected right now. */
    public int connected() {
        return fleet.connected();
    }

    /** Job results sent so far. */
    public long jobsDone() {
        return fleet.jobsDone();
    }

    /** Welcomed connections that ended so far. */
    public long drops() {
        return fleet.counts().drops();
    }

    /** The {@code bye} reasons the agents heard, with counts. */
    public Map<String, Long> byes() {
        return fleet.counts().byes();
    }

    /** The slowest time a dropped agent took to be welcomed again, in milliseconds (0 if none dropped). */
    public long slowestReconnectMillis() {
        long[] samples = fleet.reconnects.samples();
        long max = 0;
        for (long sample : samples) {
            max = Math.max(max, sample);
        }
        return max / 1_000_000;
    }

    @Override
    public void close() throws InterruptedException {
        fleet.close();
    }
}
