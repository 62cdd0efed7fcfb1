package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs one load scenario and reports it; the entry point of {@code beacon loadtest}. Each scenario takes one or more
 * server URLs: several nodes on one database, which the scenario spreads its calls and agents over. Not thread-safe.
 */
public final class Loadtest {
    private final PrintWriter out;
    private final PrintWriter err;
    private final ObjectMapper json;

    public Loadtest(PrintWriter out, PrintWriter err, ObjectMapper json) {
        this.out = out;
        this.err = err;
        this.json = json;
    }

    /** The {@code enroll} scenario; returns the process exit code. */
    public int enroll(List<URI> servers, String apiKey, boolean allowRemote, int count, int concurrency, int durationSeconds, Path jsonFile) {
        if (!targetAllowed(servers, apiKey, allowRemote)) {
            return 2;
        }
        if (refused(atLeast1("--count", count), atLeast1("--concurrency", concurrency), atLeast1("--duration", durationSeconds))) {
            return 2;
        }
        return guarded(servers, client -> {
            ServerMetrics before = ServerMetrics.scrape(client, servers);
            LatencyRecorder.Summary summary = new EnrollScenario(client, json, servers, apiKey, out)
                    .run(count, concurrency, Duration.ofSeconds(durationSeconds));
            ServerMetrics after = ServerMetrics.scrape(client, servers);
            Map<String, Object> report = ReportParts.head("enroll", servers);
            report.put("count", count);
            report.put("concurrency", concurrency);
            report.put("summary", summary);
            report.put("server_before", before);
            report.put("server_after", after);
            report.put("server_cpu_seconds", after.cpuSecondsTotal() - before.cpuSecondsTotal());
            report.put("server_cpu_us_per_claim", ReportParts.perOperation(after.cpuSecondsTotal() - before.cpuSecondsTotal(), summary.ok()));
            printReport(summary, after, after.cpuSecondsTotal() - before.cpuSecondsTotal(), concurrency, servers);
            if (jsonFile != null) {
                write(jsonFile, report);
            }
            return summary.errorsByCode().isEmpty() ? 0 : 1;
        });
    }

    /** What {@code beacon loadtest agents} was asked to do. {@code serverPid}, when set, lets memory be read after a full GC. */
    public record AgentsRun(int count, int heartbeatSeconds, int durationSeconds, int workers, Long serverPid) {
    }

    /** The {@code agents} scenario; returns the process exit code. */
    public int agents(List<URI> servers, String apiKey, boolean allowRemote, AgentsRun run, Path jsonFile) {
        if (!targetAllowed(servers, apiKey, allowRemote)) {
            return 2;
        }
        if (refused(atLeast1("--count", run.count()), atLeast1("--heartbeat-s", run.heartbeatSeconds()),
                run.durationSeconds() >= run.heartbeatSeconds() ? null : "--duration must be at least one heartbeat interval, "
                        + run.heartbeatSeconds() + " (got " + run.durationSeconds() + ").",
                run.workers() >= 0 ? null : "--workers must be 0 or more (got " + run.workers() + ").")) {
            return 2;
        }
        if (run.workers() > 0 && (run.count() + run.workers() - 1) / run.workers() > AgentsScenario.MAX_AGENTS_PER_WORKER) {
            err.printf("✗ at most %,d agents per worker fit under the open-file limit: use --workers %d or more%n",
                    AgentsScenario.MAX_AGENTS_PER_WORKER, (run.count() + AgentsScenario.MAX_AGENTS_PER_WORKER - 1) / AgentsScenario.MAX_AGENTS_PER_WORKER);
            return 2;
        }
        return guarded(servers, client -> {
            AgentsScenario.Result result = new AgentsScenario(client, json, servers, apiKey, allowRemote, out, err)
                    .run(run.count(), run.heartbeatSeconds(), Duration.ofSeconds(run.durationSeconds()), run.workers(), run.serverPid());
            double perConnectionRss = (result.loaded().residentMb() - result.idle().residentMb()) * 1e6 / Math.max(1, result.connected());
            double perConnectionHeap = (result.loaded().heapUsedMb() - result.idle().heapUsedMb()) * 1e6 / Math.max(1, result.connected());
            double cpuShare = result.serverCpuSecondsSteady() / result.steadySeconds();
            LatencyRecorder.Summary hb = result.heartbeats();
            out.println();
            out.printf("agents  count=%d connected=%d workers=%d heartbeat=%ds  errors=%s%n", run.count(), result.connected(), run.workers(),
                    run.heartbeatSeconds(), hb.errorsByCode());
            printServers(servers, "server figures are all of them added up");
            out.printf("connect     %.0f/s (connect %.1f s; enrollment took %.1f s)%n", result.connected() / Math.max(result.connectSeconds(), 1e-9),
                    result.connectSeconds(), result.enrollSeconds());
            printLatency("heartbeats", hb, "acked");
            out.printf("server      rss %.0f -> %.0f MB (%.1f KB per connection)  heap %.0f -> %.0f MB (%.1f KB per connection)%s%n",
                    result.idle().residentMb(), result.loaded().residentMb(), perConnectionRss / 1024,
                    result.idle().heapUsedMb(), result.loaded().heapUsedMb(), perConnectionHeap / 1024,
                    result.afterGc() ? ", both after a full GC" : "");
            double cpuPerHeartbeat = hb.ok() == 0 ? Double.NaN : result.serverCpuSecondsSteady() * 1e6 / hb.ok();
            out.printf("server cpu  %.1f%% of one core while heartbeating, %.0f µs per heartbeat; peak rss %.0f MB, heap %.0f MB%n",
                    cpuShare * 100, cpuPerHeartbeat, result.peaks().residentMb(), result.peaks().heapUsedMb());
            AgentsScenario.Reconnects reconnects = result.reconnects();
            if (reconnects.drops() > 0) {
                out.printf("reconnects  %d drops (byes %s), all back %.1f s after the first drop; refused connects %s%n", reconnects.drops(),
                        reconnects.byesByReason(), reconnects.stormSpanS(), reconnects.refusedConnectsByCode());
                printLatency("reconnect", reconnects.reconnectTime(), "welcomed again");
            }
            out.flush();
            if (jsonFile != null) {
                Map<String, Object> report = ReportParts.head("agents", servers);
                report.put("count", run.count());
                report.put("heartbeat_s", run.heartbeatSeconds());
                report.put("result", result);
                report.put("rss_bytes_per_connection", perConnectionRss);
                report.put("heap_bytes_per_connection", perConnectionHeap);
                report.put("server_cpu_share_of_one_core", cpuShare);
                report.put("server_cpu_us_per_heartbeat", cpuPerHeartbeat);
                write(jsonFile, report);
            }
            return result.connected() == run.count() && hb.errorsByCode().isEmpty() ? 0 : 1;
        });
    }

    /**
     * The body of one {@code agents --workers K} child process: holds {@code count} agents and speaks JSON lines on
     * {@code out} ({@code connected}, {@code progress}, {@code result}) until it reads {@code stop} on stdin, stdin
     * closes, or {@code durationSeconds} plus ten minutes have passed.
     */
    public int agentsWorker(List<URI> servers, String apiKey, boolean allowRemote, int count, int heartbeatSeconds, int durationSeconds,
                            java.io.InputStream stdin) {
        if (!targetAllowed(servers, apiKey, allowRemote)) {
            return 2;
        }
        java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        long connectDeadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(600 + count / 50);
        return guarded(servers, client -> {
            LocalAgentGroup group = new LocalAgentGroup(client, json, servers, apiKey, err, count, heartbeatSeconds, durationSeconds,
                    connectDeadline);
            Thread.ofPlatform().daemon().name("loadtest-worker-stdin").start(() -> {
                try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(stdin, java.nio.charset.StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null && !line.strip().equals("stop")) {
                        if (line.strip().equals("measure")) {
                            group.startMeasuring();
                        }
                    }
                } catch (IOException e) {
                    // stdin broke: the parent is gone
                }
                stop.countDown();
            });
            try {
                group.awaitConnected(connectDeadline);
            } catch (IOException e) {
                event(Map.of("event", "failed", "message", String.valueOf(e.getMessage())));
                group.finish();
                return 1;
            }
            event(Map.of("event", "connected", "connected", group.connected(), "enroll_seconds", group.enrollSeconds(),
                    "connect_seconds", group.connectSeconds()));
            Thread progress = Thread.ofPlatform().daemon().name("loadtest-worker-progress").start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        Thread.sleep(1000);
                        event(Map.of("event", "progress", "connected", group.connected(), "heartbeats", group.heartbeatsAcked(),
                                "errors", group.errors()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stop.await(durationSeconds + 600L, java.util.concurrent.TimeUnit.SECONDS);
            progress.interrupt();
            progress.join();
            event(Map.of("event", "result", "outcome", group.finish()));
            return 0;
        });
    }

    /** One JSON line on stdout, for a worker's parent. */
    private void event(Map<String, Object> event) {
        try {
            String line = json.writeValueAsString(event);
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a worker event", e);
        }
    }

    private void printLatency(String part, LatencyRecorder.Summary summary, String okWord) {
        out.printf("%-11s %d %s, %.0f/s  ms p50=%.2f p95=%.2f p99=%.2f max=%.2f  errors=%s%n", part, summary.ok(), okWord, summary.perSecond(),
                summary.p50Ms(), summary.p95Ms(), summary.p99Ms(), summary.maxMs(), summary.errorsByCode());
    }

    /**
     * The {@code jobs} scenario; returns the process exit code. {@code submitTo} 0 spreads submits and agents over the
     * servers; N (1-based) submits every job to server N and connects the agents to the others only.
     */
    public int jobs(List<URI> servers, String apiKey, boolean allowRemote, int agents, int count, int rate, int concurrency,
                    int durationSeconds, int submitTo, Path jsonFile) {
        if (!targetAllowed(servers, apiKey, allowRemote)) {
            return 2;
        }
        if (refused(atLeast1("--agents", agents), atLeast1("--count", count),
                rate >= 0 ? null : "--rate must be 0 or more (got " + rate + ").",
                atLeast1("--concurrency", concurrency), atLeast1("--duration", durationSeconds),
                submitTo >= 0 && submitTo <= servers.size() ? null
                        : "--submit-to must name one of the " + servers.size() + " --server URLs, 1 to " + servers.size() + " (got " + submitTo + ").")) {
            return 2;
        }
        return guarded(servers, client -> {
            JobsScenario scenario = new JobsScenario(client, json, servers, submitTo, apiKey, out);
            JobsScenario.Result result = scenario.run(agents, count, rate, concurrency, Duration.ofSeconds(durationSeconds));
            LatencyRecorder.Summary dispatch = result.dispatch();
            LatencyRecorder.Summary submit = result.submit();
            out.println();
            out.printf("jobs  agents=%d count=%d rate=%s done=%d  errors=%s%n", agents, count, rate > 0 ? rate + "/s" : "max",
                    result.jobsDone(), ReportParts.merged(dispatch, submit));
            if (servers.size() > 1) {
                out.printf("submitted to %s; agents on %s%n", ReportParts.joined(scenario.submitServers()), ReportParts.joined(scenario.agentServers()));
            } else {
                printServers(servers, "");
            }
            out.printf("end to end  %.0f echo jobs/s over %.2f s%n", result.endToEndPerSecond(), result.elapsedS());
            out.printf("submit -> agent receives  ms p50=%.2f p95=%.2f p99=%.2f max=%.2f%n", dispatch.p50Ms(), dispatch.p95Ms(),
                    dispatch.p99Ms(), dispatch.maxMs());
            out.printf("submit (POST) latency     ms p50=%.2f p95=%.2f p99=%.2f max=%.2f%n", submit.p50Ms(), submit.p95Ms(),
                    submit.p99Ms(), submit.maxMs());
            out.printf("server cpu  %.0f µs per job (%.1f s from the first submit to the last result)%n", result.serverCpuMicrosPerJob(),
                    result.serverCpuSeconds());
            out.flush();
            if (jsonFile != null) {
                Map<String, Object> report = ReportParts.head("jobs", servers);
                report.put("submitted_to", scenario.submitServers().stream().map(URI::toString).toList());
                report.put("agents_on", scenario.agentServers().stream().map(URI::toString).toList());
                report.put("rate", rate);
                report.put("concurrency", concurrency);
                report.put("result", result);
                report.put("server_cpu_us_per_job", result.serverCpuMicrosPerJob());
                write(jsonFile, report);
            }
            return result.jobsDone() == count && ReportParts.merged(dispatch, submit).isEmpty() ? 0 : 1;
        });
    }

    /** What {@code beacon loadtest mixed} was asked to do. */
    public record MixedRun(int agents, int heartbeatSeconds, int enrollCount, int enrollRate, int jobCount, int jobRate, int concurrency,
                           int durationSeconds) {
    }

    /** The {@code mixed} scenario; returns the process exit code. */
    public int mixed(List<URI> servers, String apiKey, boolean allowRemote, MixedRun run, Path jsonFile) {
        if (!targetAllowed(servers, apiKey, allowRemote)) {
            return 2;
        }
        if (servers.size() > 1) {
            err.println("✗ mixed takes one --server (got " + servers.size() + "); enroll, agents and jobs take several.");
            return 2;
        }
        URI server = servers.getFirst();
        if (refused(atLeast1("--agents", run.agents()), atLeast1("--heartbeat-s", run.heartbeatSeconds()),
                atLeast1("--enroll-count", run.enrollCount()), atLeast1("--enroll-rate", run.enrollRate()),
                atLeast1("--job-count", run.jobCount()), atLeast1("--job-rate", run.jobRate()),
                atLeast1("--concurrency", run.concurrency()), atLeast1("--duration", run.durationSeconds()))) {
            return 2;
        }
        return guarded(servers, client -> {
            MixedScenario.Result result = new MixedScenario(client, json, server, apiKey, out).run(run);
            out.println();
            out.printf("mixed  agents=%d connected=%d heartbeat=%ds  enroll %d at %d/s  jobs %d at %d/s  over %.1f s%n", run.agents(),
                    result.connected(), run.heartbeatSeconds(), run.enrollCount(), run.enrollRate(), run.jobCount(), run.jobRate(),
                    result.elapsedS());
            printLatency("enroll", result.enroll(), "enrolled");
            printLatency("heartbeats", result.heartbeats(), "acked");
            printLatency("job submit", result.submit(), "accepted");
            printLatency("job -> agent", result.dispatch(), "received");
            out.printf("jobs done   %d, %.0f echo jobs/s end to end%n", result.jobsDone(), result.jobsPerSecond());
            long operations = result.enroll().ok() + result.heartbeats().ok() + result.submit().ok();
            out.printf("server      rss %.0f -> %.0f MB (peak %.0f)  heap %.0f -> %.0f MB  cpu %.1f%% of one core, %.0f µs per operation"
                            + " (enrollments, heartbeats and jobs)%n",
                    result.before().residentMb(), result.after().residentMb(), result.peaks().residentMb(), result.before().heapUsedMb(),
                    result.after().heapUsedMb(), result.serverCpuSeconds() / Math.max(result.elapsedS(), 1e-9) * 100,
                    ReportParts.perOperation(result.serverCpuSeconds(), operations));
            out.flush();
            if (jsonFile != null) {
                Map<String, Object> report = ReportParts.head("mixed", servers);
                report.put("run", run);
                report.put("result", result);
                write(jsonFile, report);
            }
            boolean clean = result.enroll().errorsByCode().isEmpty() && result.submit().errorsByCode().isEmpty()
                    && result.heartbeats().errorsByCode().isEmpty() && result.dispatch().errorsByCode().isEmpty();
            return clean && result.connected() == run.agents() && result.enroll().ok() == run.enrollCount()
                    && result.jobsDone() == run.jobCount() ? 0 : 1;
        });
    }

    /** The complaint about {@code flag} when it is below 1, else null. */
    private static String atLeast1(String flag, long value) {
        return value >= 1 ? null : flag + " must be at least 1 (got " + value + ").";
    }

    /** Prints one line per broken flag, naming only those (null entries are flags that are fine); true if any. */
    private boolean refused(String... complaints) {
        boolean any = false;
        for (String complaint : complaints) {
            if (complaint != null) {
                err.println("✗ " + complaint);
                any = true;
            }
        }
        return any;
    }

    /** A scenario's body, given the HTTP client it should use; returns the exit code. */
    @FunctionalInterface
    private interface Scenario {
        int run(HttpClient client) throws IOException, InterruptedException;
    }

    /** Runs a scenario, turning an unreachable server or an interrupt into one line and an exit code. */
    private int guarded(List<URI> servers, Scenario scenario) {
        try {
            return scenario.run(httpClient());
        } catch (IOException e) {
            err.println("✗ " + ReportParts.joined(servers) + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("✗ interrupted");
            return 130;
        }
    }

    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** One line naming the servers, with a note when there are several. */
    private void printServers(List<URI> servers, String severalNote) {
        out.printf("%s %s%s%n", servers.size() == 1 ? "server     " : "servers    ", ReportParts.joined(servers),
                servers.size() > 1 && !severalNote.isEmpty() ? " (" + severalNote + ")" : "");
    }

    private void write(Path jsonFile, Map<String, Object> report) throws IOException {
        Files.writeString(jsonFile, json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        out.println("Report written to " + jsonFile.toAbsolutePath());
    }

    /** Checks the targets and the key, printing one line when they are not usable. */
    private boolean targetAllowed(List<URI> servers, String apiKey, boolean allowRemote) {
        if (servers == null || servers.isEmpty()) {
            err.println("✗ give at least one --server URL");
            return false;
        }
        if (servers.stream().distinct().count() < servers.size()) {
            err.println("✗ each --server URL may be given once");
            return false;
        }
        for (URI server : servers) {
            String refusal = Target.refusal(server, allowRemote);
            if (refusal != null) {
                err.println("✗ " + refusal);
                return false;
            }
        }
        if (apiKey == null || apiKey.isBlank()) {
            err.println("✗ give an admin API key with --api-key or BEACON_API_KEY (create one with `beacon admin api-key create --name loadtest`)");
            return false;
        }
        return true;
    }

    private void printReport(LatencyRecorder.Summary summary, ServerMetrics server, double serverCpuSeconds, int concurrency,
                             List<URI> servers) {
        out.println();
        out.printf("enroll  concurrency=%d  ok=%d  errors=%s%n", concurrency, summary.ok(), summary.errorsByCode());
        printServers(servers, "claims sent to each in turn; server figures are all of them added up");
        out.printf("throughput  %.0f/s over %.2f s%n", summary.perSecond(), summary.elapsedS());
        out.printf("latency ms  p50=%.2f  p95=%.2f  p99=%.2f  max=%.2f%n", summary.p50Ms(), summary.p95Ms(), summary.p99Ms(), summary.maxMs());
        out.printf("server      rss=%.0f MB  heap=%.0f MB  cpu=%.1f s during the run, %.0f µs per claim%n", server.residentMb(),
                server.heapUsedMb(), serverCpuSeconds, ReportParts.perOperation(serverCpuSeconds, summary.ok()));
        out.flush();
    }
}
