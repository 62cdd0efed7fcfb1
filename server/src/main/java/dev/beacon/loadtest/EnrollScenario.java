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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code enroll} scenario: creates a site, a fleet and one enrollment key with room for every claim,
 * then sends {@code count} claims over {@code concurrency} connections, each with a unique robot name, to the
 * servers in turn when there are several.
 * Bounded by count and by duration. Not thread-safe; run once.
 */
final class EnrollScenario {
    private final HttpClient client;
    private final ObjectMapper json;
    private final ServerApi api;
    private final PrintWriter out;

    EnrollScenario(HttpClient client, ObjectMapper json, List<URI> servers, String apiKey, PrintWriter out) {
        this.client = client;
        this.json = json;
        this.api = new ServerApi(client, json, servers, apiKey);
        this.out = out;
    }

    LatencyRecorder.Summary run(int count, int concurrency, Duration maxDuration) throws IOException, InterruptedException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String key = api.freshEnrollmentKey("enroll", count);

        LatencyRecorder recorder = new LatencyRecorder(count);
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + maxDuration.toNanos();
        long started = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            workers.add(Thread.ofPlatform().name("loadtest-enroll-" + w).start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count && System.nanoTime() < deadline) {
                    claim(key, "lt-" + run + "-" + i, recorder);
                }
            }));
        }
        Progress progress = Progress.start(out, "enroll", recorder, count);
        for (Thread worker : workers) {
            worker.join();
        }
        progress.stop();
        return recorder.summary((System.nanoTime() - started) / 1e9);
    }

    /** Sends one claim and records its latency or its error code. Called from any thread. */
    void claim(String key, String name, LatencyRecorder recorder) {
        String body = "{\"enrollment_key\":\"" + key + "\",\"name\":\"" + name + "\",\"hostname\":\"" + name
                + "\",\"os\":\"linux\",\"arch\":\"amd64\",\"agent_version\":\"loadtest\",\"capabilities\":[\"echo\"]}";
        HttpRequest request = HttpRequest.newBuilder(api.next().resolve("/api/enroll"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            long elapsed = System.nanoTime() - start;
            if (response.statusCode() == 201) {
                recorder.success(elapsed);
            } else {
                recorder.error(errorCode(response));
            }
        } catch (IOException e) {
            recorder.error("io_error");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            recorder.error("interrupted");
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
