package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code agents} scenario: enrolls {@code count} robots, connects them all to the agent WebSocket,
 * says hello, and heartbeats every {@code heartbeatSeconds} (spread evenly) for {@code duration}, timing
 * each heartbeat's round trip to its ack. Agents that drop (a server restart, say) reconnect with the real
 * agent's backoff, and the time each took to be welcomed again is reported: run it with a long duration
 * and restart the server meanwhile to measure a connect storm. With {@code workers > 0} the sockets are
 * split over that many child processes, because one process may open only so many files. Reports connect
 * rate, heartbeat latency, and the server's memory (after a full GC when its pid is given) and CPU per
 * connection. With several servers (nodes on one database) the agents start on them in turn, fail over to the
 * next one as the real agent does, and the memory and CPU figures are those of all the servers added up: kill
 * one node during the run to measure how fast its agents are back through the others. Not thread-safe; run once.
 */
final class AgentsScenario {
    /** Agents one worker process may hold: its sockets plus the JVM's own files stay under a 20,000 open-file limit. */
    static final int MAX_AGENTS_PER_WORKER = 9_000;

    private final HttpClient client;
    private final ObjectMapper json;
    private final List<URI> servers;
    private final String apiKey;
    private final boolean allowRemote;
    private final PrintWriter out;
    private final PrintWriter err;

    AgentsScenario(HttpClient client, ObjectMapper json, List<URI> servers, String apiKey, boolean allowRemote, PrintWriter out,
                   PrintWriter err) {
        this.client = client;
        this.json = json;
        this.servers = List.copyOf(servers);
        this.apiKey = apiKey;
        this.allowRemote = allowRemote;
        this.out = out;
        this.err = err;
    }

    /** Drops and reconnects seen during the run: how long dropped agents took to be welcomed again. */
    record Reconnects(long drops, Map<String, Long> byesByReason, LatencyRecorder.Summary reconnectTime, double stormSpanS,
                      Map<String, Long> refusedConnectsByCode) {
    }

    /** What one run measured. */
    record Result(int connected, int workers, double enrollSeconds, double connectSeconds, LatencyRecorder.Summary heartbeats,
                  ServerMetrics idle, ServerMetrics loaded, double serverCpuSecondsSteady, double steadySeconds, boolean afterGc,
                  ServerWatch.Peaks peaks, Reconnects reconnects) {
    }

    Result run(int count, int heartbeatSeconds, Duration duration, int workers, Long serverPid) throws IOException, InterruptedException {
        ServerMetrics idle = ServerMetrics.scrapeAfterGc(client, servers, serverPid);
        // Enrolling and connecting are bounded apart from the measured duration: at least 10 minutes, more for huge fleets.
        long connectDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600 + count / 50);
        List<AgentGroup> groups = new ArrayList<>();
        try {
            if (workers == 0) {
                groups.add(new LocalAgentGroup(client, json, servers, apiKey, out, count, heartbeatSeconds, (int) duration.toSeconds(),
                        connectDeadline));
            } else {
                for (int w = 0; w < workers; w++) {
                    int share = count / workers + (w < count % workers ? 1 : 0);
                    groups.add(new WorkerAgentGroup(json, servers, apiKey, allowRemote, w, share, heartbeatSeconds,
                            (int) duration.toSeconds(), err));
                }
            }
            long connectStart = System.nanoTime();
            Progress connecting = Progress.start(out, () -> "connecting: " + connected(groups) + "/" + count + " agents welcomed");
            try {
                for (AgentGroup group : groups) {
                    group.awaitConnected(connectDeadline);
                }
            } finally {
                connecting.stop();
            }
            double setupSeconds = (System.nanoTime() - connectStart) / 1e9;
            out.printf("%nconnected %d agents (enroll + connect took %.1f s)%n", connected(groups), setupSeconds);

            long periodMillis = TimeUnit.SECONDS.toMillis(heartbeatSeconds);
            Thread.sleep(Math.min(duration.toMillis(), periodMillis)); // one round to settle
            for (AgentGroup group : groups) {
                group.startMeasuring();
            }
            ServerMetrics loadedStart = ServerMetrics.scrape(client, servers);
            long steadyStart = System.nanoTime();
            // Every 5 s, not every second: with 19,000 robots a scrape of /metrics is a noticeable share of the CPU that
            // the heartbeats are measured by.
            ServerWatch watch = ServerWatch.start(client, servers, 5000);
            Progress progress = Progress.start(out, () -> String.format("heartbeats: %d acked, %d errors, %d/%d agents connected",
                    groups.stream().mapToLong(AgentGroup::heartbeatsAcked).sum(), groups.stream().mapToLong(AgentGroup::errors).sum(),
                    connected(groups), count));
            Thread.sleep(Math.max(0, duration.toMillis() - periodMillis));
            progress.stop();
            ServerWatch.Peaks peaks = watch.stop();
            ServerMetrics loadedEnd = ServerMetrics.scrape(client, servers);
            double steadySeconds = (System.nanoTime() - steadyStart) / 1e9;
            ServerMetrics loaded = serverPid == null ? loadedEnd : ServerMetrics.scrapeAfterGc(client, servers, serverPid);
            return collect(groups, workers, idle, loaded, loadedEnd.cpuSecondsTotal() - loadedStart.cpuSecondsTotal(), steadySeconds,
                    serverPid != null, peaks);
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (AgentGroup group : groups) {
                if (group instanceof WorkerAgentGroup worker) {
                    worker.kill();
                } else {
                    group.finish();
                }
            }
            throw e;
        }
    }

    private Result collect(List<AgentGroup> groups, int workers, ServerMetrics idle, ServerMetrics loaded, double cpuSeconds,
                           double steadySeconds, boolean afterGc, ServerWatch.Peaks peaks) throws IOException, InterruptedException {
        int connected = 0;
        double enrollSeconds = 0;
        double connectSeconds = 0;
        long drops = 0;
        long firstDrop = Long.MAX_VALUE;
        long lastRewelcome = 0;
        Map<String, Long> byes = new java.util.TreeMap<>();
        List<AgentGroup.Outcome> outcomes = new ArrayList<>();
        int heartbeatSamples = 0;
        int reconnectSamples = 0;
        for (AgentGroup group : groups) {
            connected += group.connected();
            AgentGroup.Outcome outcome = group.finish();
            outcomes.add(outcome);
            heartbeatSamples += outcome.heartbeatNanos().length;
            reconnectSamples += outcome.reconnectNanos().length;
        }
        LatencyRecorder heartbeats = new LatencyRecorder(Math.max(1, heartbeatSamples));
        LatencyRecorder reconnects = new LatencyRecorder(Math.max(1, reconnectSamples));
        for (AgentGroup.Outcome outcome : outcomes) {
            heartbeats.addAll(outcome.heartbeatNanos(), outcome.heartbeatErrors());
            reconnects.addAll(outcome.reconnectNanos(), outcome.reconnectErrors());
            enrollSeconds = Math.max(enrollSeconds, outcome.enrollSeconds());
            connectSeconds = Math.max(connectSeconds, outcome.connectSeconds());
            AgentFleet.Counts counts = outcome.counts();
            drops += counts.drops();
            counts.byes().forEach((reason, n) -> byes.merge(reason, n, Long::sum));
            if (counts.firstDropMillis() > 0) {
                firstDrop = Math.min(firstDrop, counts.firstDropMillis());
            }
            lastRewelcome = Math.max(lastRewelcome, counts.lastRewelcomeMillis());
        }
        LatencyRecorder.Summary heartbeatSummary = heartbeats.summary(steadySeconds);
        Map<String, Long> refused = new java.util.TreeMap<>();
        heartbeatSummary.errorsByCode().forEach((code, n) -> {
            if (code.startsWith("connect_")) {
                refused.put(code, n);
            }
        });
        double stormSpan = drops > 0 && lastRewelcome > firstDrop ? (lastRewelcome - firstDrop) / 1e3 : 0;
        Reconnects reconnectFigures = new Reconnects(drops, byes, reconnects.summary(Math.max(stormSpan, 1e-9)), stormSpan, refused);
        return new Result(connected, workers, enrollSeconds, connectSeconds, heartbeatSummary, idle, loaded, cpuSeconds, steadySeconds,
                afterGc, peaks, reconnectFigures);
    }

    private static int connected(List<AgentGroup> groups) {
        return groups.stream().mapToInt(AgentGroup::connected).sum();
    }
}
