package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code mixed} scenario, everything a busy control plane does at once: {@code agents} simulated agents
 * hold sockets and heartbeat; meanwhile new robots enroll at {@code enrollRate} and echo jobs are submitted
 * at {@code jobRate}, run by those agents. Ends when every enrollment is sent and every job is done, or at
 * {@code duration}. Reports each part (throughput, latency percentiles, errors by code) and the server's
 * memory and CPU over the run. Not thread-safe; run once.
 */
final class MixedScenario {
    private final HttpClient client;
    private final ObjectMapper json;
    private final URI server;
    private final String apiKey;
    private final PrintWriter out;

    MixedScenario(HttpClient client, ObjectMapper json, URI server, String apiKey, PrintWriter out) {
        this.client = client;
        this.json = json;
        this.server = server;
        this.apiKey = apiKey;
        this.out = out;
    }

    /** What one run measured, part by part. */
    record Result(int agents, int connected, double connectSeconds, double elapsedS, LatencyRecorder.Summary enroll,
                  LatencyRecorder.Summary heartbeats, LatencyRecorder.Summary submit, LatencyRecorder.Summary dispatch, long jobsDone,
                  double jobsPerSecond, ServerMetrics before, ServerMetrics after, double serverCpuSeconds, ServerWatch.Peaks peaks,
                  AgentFleet.Counts fleet) {
    }

    Result run(Loadtest.MixedRun run) throws IOException, InterruptedException {
        ServerApi api = new ServerApi(client, json, List.of(server), apiKey);
        List<String> tokens = api.enrollRobots("mixed-agents", run.agents(), out);
        int beats = (int) Math.min(5_000_000L, (long) run.agents() * (run.durationSeconds() / run.heartbeatSeconds() + 2));
        AgentFleet fleet = new AgentFleet(client, json, List.of(server), tokens, beats, run.jobCount());
        long[] submittedAt = new long[run.jobCount()];
        fleet.submittedAt = submittedAt;
        long connectStart = System.nanoTime();
        try {
            fleet.startHeartbeats(run.heartbeatSeconds()); // each agent beats once welcomed, as a real agent does
            fleet.connectAll(connectStart + TimeUnit.SECONDS.toNanos(600));
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            out.printf("%d of %d agents connected in %.1f s; now enrolling at %d/s and submitting jobs at %d/s%n", fleet.connected(),
                    run.agents(), connectSeconds, run.enrollRate(), run.jobRate());
            String enrollKey = api.freshEnrollmentKey("mixed-enroll", run.enrollCount());

            fleet.startMeasuring();
            ServerMetrics before = ServerMetrics.scrape(client, server);
            ServerWatch watch = ServerWatch.start(client, server);
            LatencyRecorder enroll = new LatencyRecorder(run.enrollCount());
            LatencyRecorder submit = new LatencyRecorder(run.jobCount());
            long started = System.nanoTime();
            long deadline = started + TimeUnit.SECONDS.toNanos(run.durationSeconds());
            String runId = UUID.randomUUID().toString().substring(0, 8);
            EnrollScenario claims = new EnrollScenario(client, json, List.of(server), apiKey, out);
            List<Thread> senders = new ArrayList<>();
            AtomicInteger nextClaim = new AtomicInteger();
            AtomicInteger nextJob = new AtomicInteger();
            for (int w = 0; w < run.concurrency(); w++) {
                senders.add(Thread.ofPlatform().name("loadtest-mixed-enroll-" + w).start(() -> paced(nextClaim, run.enrollCount(),
                        run.enrollRate(), started, deadline, i -> claims.claim(enrollKey, "mixed-" + runId + "-" + i, enroll))));
                senders.add(Thread.ofPlatform().name("loadtest-mixed-submit-" + w).start(() -> paced(nextJob, run.jobCount(),
                        run.jobRate(), started, deadline, i -> submitJob(i, submittedAt, submit))));
            }
            Progress progress = Progress.start(out, () -> String.format(
                    "mixed: enrolled %d/%d, jobs submitted %d/%d, done %d, heartbeats %d, agents %d/%d, errors %d",
                    enroll.successes(), run.enrollCount(), submit.successes(), run.jobCount(), fleet.jobsDone(), fleet.heartbeats.successes(),
                    fleet.connected(), run.agents(), enroll.errorCount() + submit.errorCount() + fleet.heartbeats.errorCount()));
            for (Thread sender : senders) {
                sender.join();
            }
            while (fleet.jobsDone() < submit.successes() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            progress.stop();
            double elapsed = (System.nanoTime() - started) / 1e9;
            ServerWatch.Peaks peaks = watch.stop();
            ServerMetrics after = ServerMetrics.scrape(client, server);
            long lastResult = fleet.lastResultNanos();
            double jobsSpan = lastResult > started ? (lastResult - started) / 1e9 : elapsed;
            AgentFleet.Counts counts = fleet.counts();
            return new Result(run.agents(), counts.connected(), connectSeconds, elapsed, enroll.summary(elapsed),
                    fleet.heartbeats.summary(elapsed), submit.summary(elapsed), fleet.dispatch.summary(jobsSpan), fleet.jobsDone(),
                    fleet.jobsDone() / Math.max(jobsSpan, 1e-9), before, after, after.cpuSecondsTotal() - before.cpuSecondsTotal(), peaks,
                    counts);
        } finally {
            fleet.close();
        }
    }

    /** Runs {@code action} for indexes taken from {@code next} below {@code count}, each no sooner than its slot at {@code rate}/s. */
    private static void paced(AtomicInteger next, int count, int rate, long started, long deadline, java.util.function.IntConsumer action) {
        int i;
        while ((i = next.getAndIncrement()) < count && System.nanoTime() < deadline) {
            long wait = started + (long) i * 1_000_000_000L / rate - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (System.nanoTime() < deadline) {
                action.accept(i);
            }
        }
    }

    private void submitJob(int index, long[] submittedAt, LatencyRecorder submit) {
        HttpRequest request = HttpRequest.newBuilder(server.resolve("/api/jobs")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("X-Beacon-API-Key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"echo\",\"payload\":{\"n\":" + index + "},\"max_attempts\":1}"))
                .build();
        long start = System.nanoTime();
        submittedAt[index] = start;
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                submit.success(System.nanoTime() - start);
            } else {
                submit.error(errorCode(response));
            }
        } catch (IOException e) {
            submit.error("io_error");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String errorCode(HttpResponse<String> response) {
        try {
            JsonNode code = json.readTree(response.body()).get("code");
            return code != null ? code.asText() : "http_" + response.statusCode();
        } catch (IOException e) {
            return "http_" + response.statusCode();
        }
    }
}
