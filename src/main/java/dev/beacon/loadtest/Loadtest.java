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
        String refusal = Target.refusal(server, allowRemote);
        if (refusal != null) {
            err.println("✗ " + refusal);
            return 2;
        }
        if (apiKey == null || apiKey.isBlank()) {
            err.println("✗ give an admin API key with --api-key or BEACON_API_KEY (create one with `beacon admin api-key create --name loadtest`)");
            return 2;
        }
        if (count < 1 || concurrency < 1 || durationSeconds < 1) {
            err.println("✗ --count, --concurrency and --duration must be at least 1");
            return 2;
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        try {
            ServerMetrics before = ServerMetrics.scrape(client, server);
            LatencyRecorder.Summary summary = new EnrollScenario(client, json, server, apiKey, out)
                    .run(count, concurrency, Duration.ofSeconds(durationSeconds));
            ServerMetrics after = ServerMetrics.scrape(client, server);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("scenario", "enroll");
            report.put("server", server.toString());
            report.put("at", Instant.now().toString());
            report.put("count", count);
            report.put("concurrency", concurrency);
            report.put("summary", summary);
            report.put("server_before", before);
            report.put("server_after", after);
            report.put("server_cpu_seconds", after.cpuSecondsTotal() - before.cpuSecondsTotal());
            printReport(summary, after, after.cpuSecondsTotal() - before.cpuSecondsTotal(), concurrency);
            if (jsonFile != null) {
                Files.writeString(jsonFile, json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
                out.println("Report written to " + jsonFile.toAbsolutePath());
            }
            return summary.errorsByCode().isEmpty() ? 0 : 1;
        } catch (IOException e) {
            err.println("✗ " + server + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("✗ interrupted");
            return 130;
        }
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
