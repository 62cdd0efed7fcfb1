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
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs one load scenario and reports it; the entry point of {@code beacon loadtest}. Not thread-safe. */
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
    public int enroll(URI server, String apiKey, boolean allowRemote, int count, int concurrency, int durationSeconds, Path jsonFile) {
        if (!targetAllowed(server, apiKey, allowRemote)) {
            return 2;
        }
        if (count < 1 || concurrency < 1 || durationSeconds < 1) {
            err.println("✗ --count, --concurrency and --duration must be at least 1");
            return 2;
        }
        return guarded(server, client -> {
            ServerMetrics before = ServerMetrics.scrape(client, server);
            LatencyRecorder.Summary summary = new EnrollScenario(client, json, server, apiKey, out)
                    .run(count, concurrency, Duration.ofSeconds(durationSeconds));
            ServerMetrics after = ServerMetrics.scrape(client, server);
            Map<String, Object> report = report("enroll", server);
            report.put("count", count);
            report.put("concurrency", concurrency);
            report.put("summary", summary);
            report.put("server_before", before);
            report.put("server_after", after);
            report.put("server_cpu_seconds", after.cpuSecondsTotal() - before.cpuSecondsTotal());
            printReport(summary, after, after.cpuSecondsTotal() - before.cpuSecondsTotal(), concurrency);
            if (jsonFile != null) {
                write(jsonFile, report);
            }
            return summary.errorsByCode().isEmpty() ? 0 : 1;
        });
    }

    /** The {@code agents} scenario; returns the process exit code. */
    public int agents(URI server, String apiKey, boolean allowRemote, int count, int heartbeatSeconds, int durationSeconds, Path jsonFile) {
        if (!targetAllowed(server, apiKey, allowRemote)) {
            return 2;
        }
        if (count < 1 || heartbeatSeconds < 1 || durationSeconds < heartbeatSeconds) {
            err.println("✗ --count and --heartbeat-s must be at least 1, and --duration at least one heartbeat interval");
            return 2;
        }
        return guarded(server, client -> {
            AgentsScenario.Result result = new AgentsScenario(client, json, server, apiKey, out)
                    .run(count, heartbeatSeconds, Duration.ofSeconds(durationSeconds));
            double perConnectionRss = (result.loaded().residentMb() - result.idle().residentMb()) * 1e6 / Math.max(1, result.connected());
            double perConnectionHeap = (result.loaded().heapUsedMb() - result.idle().heapUsedMb()) * 1e6 / Math.max(1, result.connected());
            double cpuShare = result.serverCpuSecondsSteady() / result.steadySeconds();
            LatencyRecorder.Summary hb = result.heartbeats();
            out.println();
            out.printf("agents  count=%d connected=%d heartbeat=%ds  errors=%s%n", count, result.connected(), heartbeatSeconds, hb.errorsByCode());
            out.printf("connect     %.0f/s (%d in %.1f s; enrollment took %.1f s)%n", result.connected() / result.connectSeconds(),
                    result.connected(), result.connectSeconds(), result.enrollSeconds());
            out.printf("heartbeats  %d acked, %.0f/s  rtt ms p50=%.2f p95=%.2f p99=%.2f max=%.2f%n", hb.ok(), hb.perSecond(),
                    hb.p50Ms(), hb.p95Ms(), hb.p99Ms(), hb.maxMs());
            out.printf("server      rss %.0f -> %.0f MB (%.1f KB per connection)  heap %.0f -> %.0f MB (%.1f KB per connection)%n",
                    result.idle().residentMb(), result.loaded().residentMb(), perConnectionRss / 1024,
                    result.idle().heapUsedMb(), result.loaded().heapUsedMb(), perConnectionHeap / 1024);
            out.printf("server cpu  %.1f%% of one core while heartbeating%n", cpuShare * 100);
            out.flush();
            if (jsonFile != null) {
                Map<String, Object> report = report("agents", server);
                report.put("count", count);
                report.put("heartbeat_s", heartbeatSeconds);
                report.put("result", result);
                report.put("rss_bytes_per_connection", perConnectionRss);
                report.put("heap_bytes_per_connection", perConnectionHeap);
                report.put("server_cpu_share_of_one_core", cpuShare);
                write(jsonFile, report);
            }
            return result.connected() == count && hb.errorsByCode().isEmpty() ? 0 : 1;
        });
    }

    /** The {@code jobs} scenario; returns the process exit code. */
    public int jobs(URI server, String apiKey, boolean allowRemote, int agents, int count, int rate, int concurrency,
                    int durationSeconds, Path jsonFile) {
        if (!targetAllowed(server, apiKey, allowRemote)) {
            return 2;
        }
        if (agents < 1 || count < 1 || rate < 0 || concurrency < 1 || durationSeconds < 1) {
            err.println("✗ --agents, --count, --concurrency and --duration must be at least 1, --rate at least 0");
            return 2;
        }
        return guarded(server, client -> {
            JobsScenario.Result result = new JobsScenario(client, json, server, apiKey, out)
                    .run(agents, count, rate, concurrency, Duration.ofSeconds(durationSeconds));
            LatencyRecorder.Summary dispatch = result.dispatch();
            LatencyRecorder.Summary submit = result.submit();
            out.println();
            out.printf("jobs  agents=%d count=%d rate=%s done=%d  errors=%s%n", agents, count, rate > 0 ? rate + "/s" : "max",
                    result.jobsDone(), merged(dispatch, submit));
            out.printf("end to end  %.0f echo jobs/s over %.2f s%n", result.endToEndPerSecond(), result.elapsedS());
            out.printf("submit -> agent receives  ms p50=%.2f p95=%.2f p99=%.2f max=%.2f%n", dispatch.p50Ms(), dispatch.p95Ms(),
                    dispatch.p99Ms(), dispatch.maxMs());
            out.printf("submit (POST) latency     ms p50=%.2f p95=%.2f p99=%.2f max=%.2f%n", submit.p50Ms(), submit.p95Ms(),
                    submit.p99Ms(), submit.maxMs());
            out.flush();
            if (jsonFile != null) {
                Map<String, Object> report = report("jobs", server);
                report.put("rate", rate);
                report.put("concurrency", concurrency);
                report.put("result", result);
                write(jsonFile, report);
            }
            return result.jobsDone() == count && merged(dispatch, submit).isEmpty() ? 0 : 1;
        });
    }

    private static Map<String, Long> merged(LatencyRecorder.Summary a, LatencyRecorder.Summary b) {
        Map<String, Long> errors = new java.util.TreeMap<>(a.errorsByCode());
        b.errorsByCode().forEach((code, n) -> errors.merge(code, n, Long::sum));
        return errors;
    }

    /** A scenario's body, given the HTTP client it should use; returns the exit code. */
    @FunctionalInterface
    private interface Scenario {
        int run(HttpClient client) throws IOException, InterruptedException;
    }

    /** Runs a scenario, turning an unreachable server or an interrupt into one line and an exit code. */
    private int guarded(URI server, Scenario scenario) {
        try {
            return scenario.run(httpClient());
        } catch (IOException e) {
            err.println("✗ " + server + ": " + e.getMessage());
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

    /** The head every JSON report starts with. */
    private static Map<String, Object> report(String scenario, URI server) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("scenario", scenario);
        report.put("server", server.toString());
        report.put("at", Instant.now().toString());
        return report;
    }

    private void write(Path jsonFile, Map<String, Object> report) throws IOException {
        Files.writeString(jsonFile, json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        out.println("Report written to " + jsonFile.toAbsolutePath());
    }

    /** Checks the target and the key, printing one line when they are not usable. */
    private boolean targetAllowed(URI server, String apiKey, boolean allowRemote) {
        String refusal = Target.refusal(server, allowRemote);
        if (refusal != null) {
            err.println("✗ " + refusal);
            return false;
        }
        if (apiKey == null || apiKey.isBlank()) {
            err.println("✗ give an admin API key with --api-key or BEACON_API_KEY (create one with `beacon admin api-key create --name loadtest`)");
            return false;
        }
        return true;
    }

    private void printReport(LatencyRecorder.Summary summary, ServerMetrics server, double serverCpuSeconds, int concurrency) {
        out.println();
        out.printf("enroll  concurrency=%d  ok=%d  errors=%s%n", concurrency, summary.ok(), summary.errorsByCode());
        out.printf("throughput  %.0f/s over %.2f s%n", summary.perSecond(), summary.elapsedS());
        out.printf("latency ms  p50=%.2f  p95=%.2f  p99=%.2f  max=%.2f%n", summary.p50Ms(), summary.p95Ms(), summary.p99Ms(), summary.maxMs());
        out.printf("server      rss=%.0f MB  heap=%.0f MB  cpu=%.1f s during the run%n", server.residentMb(), server.heapUsedMb(), serverCpuSeconds);
        out.flush();
    }
}
