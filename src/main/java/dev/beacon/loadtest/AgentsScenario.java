package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code agents} scenario: enrolls {@code count} robots, connects them all to the agent WebSocket,
 * says hello, and heartbeats every {@code heartbeatSeconds} (spread evenly) for {@code duration}, timing
 * each heartbeat's round trip to its ack. Reports connect rate, heartbeat latency and the server's memory
 * and CPU per connection. One process holds every socket, so {@code count} must stay under its open-file
 * limit. Not thread-safe; run once.
 */
final class AgentsScenario {
    private final HttpClient client;
    private final ObjectMapper json;
    private final URI server;
    private final String apiKey;
    private final PrintWriter out;

    AgentsScenario(HttpClient client, ObjectMapper json, URI server, String apiKey, PrintWriter out) {
        this.client = client;
        this.json = json;
        this.server = server;
        this.apiKey = apiKey;
        this.out = out;
    }

    /** What one run measured. */
    record Result(int connected, double enrollSeconds, double connectSeconds, LatencyRecorder.Summary heartbeats,
                  ServerMetrics idle, ServerMetrics loaded, double serverCpuSecondsSteady, double steadySeconds) {
    }

    Result run(int count, int heartbeatSeconds, Duration duration) throws IOException, InterruptedException {
        ServerMetrics idle = ServerMetrics.scrape(client, server);
        long enrollStart = System.nanoTime();
        List<String> tokens = enroll(count);
        double enrollSeconds = (System.nanoTime() - enrollStart) / 1e9;
        out.printf("enrolled %d robots in %.1f s%n", tokens.size(), enrollSeconds);

        LatencyRecorder heartbeats = new LatencyRecorder(Math.max(1, (int) Math.min(5_000_000L,
                (long) count * (duration.toSeconds() / Math.max(1, heartbeatSeconds) + 2))));
        ConcurrentLinkedQueue<WebSocket> sockets = new ConcurrentLinkedQueue<>();
        AtomicInteger welcomed = new AtomicInteger();
        Semaphore inFlight = new Semaphore(256); // connects in flight at once
        long connectStart = System.nanoTime();
        for (String token : tokens) {
            inFlight.acquire();
            Listener listener = new Listener(heartbeats, welcomed, inFlight);
            client.newWebSocketBuilder().header("Authorization", "Bearer " + token).connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(server.resolve("/api/agent/ws").toString().replaceFirst("^http", "ws").transform(URI::create), listener)
                    .whenComplete((socket, failure) -> {
                        if (failure != null) {
                            heartbeats.error("connect_failed");
                            inFlight.release();
                        } else {
                            sockets.add(socket);
                            socket.sendText("{\"type\":\"hello\",\"os\":\"loadtest\",\"agent_version\":\"loadtest\",\"capabilities\":[\"echo\"]}", true);
                        }
                    });
        }
        inFlight.acquire(256); // every connect has been welcomed or has failed
        inFlight.release(256);
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        out.printf("connected %d agents in %.1f s (%.0f/s)%n", welcomed.get(), connectSeconds, welcomed.get() / connectSeconds);

        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        List<WebSocket> all = new ArrayList<>(sockets);
        long periodNanos = TimeUnit.SECONDS.toNanos(heartbeatSeconds);
        for (int i = 0; i < all.size(); i++) {
            WebSocket socket = all.get(i);
            long offset = periodNanos * i / Math.max(1, all.size()) + ThreadLocalRandom.current().nextLong(1_000_000);
            ticker.scheduleAtFixedRate(() -> socket.sendText("{\"type\":\"heartbeat\",\"sent_at\":\"" + System.nanoTime() + "\"}", true),
                    offset, periodNanos, TimeUnit.NANOSECONDS);
        }
        Thread.sleep(Math.min(duration.toMillis(), periodNanos / 1_000_000)); // one round to settle
        ServerMetrics loadedStart = ServerMetrics.scrape(client, server);
        long steadyStart = System.nanoTime();
        Progress progress = Progress.start(out, "heartbeats", heartbeats, 0);
        Thread.sleep(Math.max(0, duration.toMillis() - periodNanos / 1_000_000));
        progress.stop();
        ServerMetrics loaded = ServerMetrics.scrape(client, server);
        double steadySeconds = (System.nanoTime() - steadyStart) / 1e9;
        ticker.shutdownNow();
        List<CompletableFuture<WebSocket>> closing = new ArrayList<>();
        for (WebSocket socket : all) {
            closing.add(socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").toCompletableFuture());
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            out.println("some sockets did not close cleanly: " + e.getMessage());
        }
        return new Result(welcomed.get(), enrollSeconds, connectSeconds, heartbeats.summary(steadySeconds), idle, loaded,
                loaded.cpuSecondsTotal() - loadedStart.cpuSecondsTotal(), steadySeconds);
    }

    /** Counts the welcome, then times each heartbeat ack against the nanoTime the heartbeat carried. */
    private static final class Listener implements WebSocket.Listener {
        private final LatencyRecorder heartbeats;
        private final AtomicInteger welcomed;
        private final Semaphore inFlight;
        private final StringBuilder partial = new StringBuilder();
        private boolean greeted;

        Listener(LatencyRecorder heartbeats, AtomicInteger welcomed, Semaphore inFlight) {
            this.heartbeats = heartbeats;
            this.welcomed = welcomed;
            this.inFlight = inFlight;
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String frame = partial.toString();
                partial.setLength(0);
                if (!greeted && frame.contains("\"welcome\"")) {
                    greeted = true;
                    welcomed.incrementAndGet();
                    inFlight.release();
                } else if (frame.contains("\"heartbeat.ack\"")) {
                    int at = frame.indexOf("\"sent_at\":\"");
                    if (at >= 0) {
                        long sent = Long.parseLong(frame.substring(at + 11, frame.indexOf('"', at + 11)));
                        heartbeats.success(System.nanoTime() - sent);
                    }
                } else if (frame.contains("\"error\"") || frame.contains("\"bye\"")) {
                    heartbeats.error(frame.contains("\"bye\"") ? "bye" : "error_frame");
                    if (!greeted) {
                        greeted = true;
                        inFlight.release();
                    }
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            heartbeats.error("socket_error");
            if (!greeted) {
                greeted = true;
                inFlight.release();
            }
        }
    }

    private List<String> enroll(int count) throws IOException, InterruptedException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        ServerApi api = new ServerApi(client, json, server, apiKey);
        String key = api.freshEnrollmentKey("agents", count);
        List<String> tokens = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < 16; w++) {
            workers.add(Thread.ofPlatform().start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count) {
                    try {
                        tokens.add(api.post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"agent-" + run + "-" + i + "\"}", false)
                                .get("robot_token").asText());
                    } catch (IOException e) {
                        out.println("enroll failed: " + e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return tokens;
    }
}
