package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code jobs} scenario: {@code agents} simulated agents connect and run {@code echo} (accept, then
 * answer with the payload); {@code count} jobs are submitted with the API key, at {@code rate} per second
 * or as fast as {@code concurrency} submitters can. Measures submit → agent-receives latency (each job's
 * payload carries its index; the submitter notes when it started the POST) and end-to-end jobs per
 * second (first submit to last result sent). The agents heartbeat at the interval their welcome gives, so a
 * run longer than the server's heartbeat timeout keeps them. With several servers (nodes on one database) the agents connect
 * to them in turn and the jobs are submitted to them in turn; with {@code submitTo} set, every job is submitted
 * to that one server and the agents connect only to the others, so that each dispatch crosses nodes. Not
 * thread-safe; run once.
 */
final class JobsScenario {
    /** The simulated agents' frames. */
    private static final FrameCodec FRAMES = new FrameCodec(new ObjectMapper());
    private final HttpClient client;
    private final ObjectMapper json;
    private final List<URI> servers;
    private final String apiKey;
    private final PrintWriter out;
    /** The servers jobs are submitted to, and those the agents connect to. */
    private final List<URI> submitServers;
    private final List<URI> agentServers;

    /** {@code submitTo}: 0 spreads submits and agents over every server; N (1-based) submits only to server N, agents on the others. */
    JobsScenario(HttpClient client, ObjectMapper json, List<URI> servers, int submitTo, String apiKey, PrintWriter out) {
        this.client = client;
        this.json = json;
        this.servers = List.copyOf(servers);
        this.apiKey = apiKey;
        this.out = out;
        if (submitTo == 0) {
            this.submitServers = this.servers;
            this.agentServers = this.servers;
        } else {
            URI target = this.servers.get(submitTo - 1);
            this.submitServers = List.of(target);
            List<URI> others = this.servers.stream().filter(server -> !server.equals(target)).toList();
            this.agentServers = others.isEmpty() ? List.of(target) : others;
        }
    }

    List<URI> submitServers() {
        return submitServers;
    }

    List<URI> agentServers() {
        return agentServers;
    }

    /**
     * What one run measured: dispatch latency, submit latency, end-to-end throughput, and the servers' CPU seconds from
     * the first submit to the last result (enrolling and connecting the agents not counted).
     */
    record Result(int agents, long jobsDone, double endToEndPerSecond, double elapsedS, LatencyRecorder.Summary dispatch,
                  LatencyRecorder.Summary submit, double serverCpuSeconds) {
        /** Server CPU microseconds per job done; NaN when none was. */
        double serverCpuMicrosPerJob() {
            return jobsDone == 0 ? Double.NaN : serverCpuSeconds * 1e6 / jobsDone;
        }
    }

    Result run(int agents, int count, int rate, int concurrency, Duration maxDuration) throws IOException, InterruptedException {
        ServerApi api = new ServerApi(client, json, servers, apiKey);
        String key = api.freshEnrollmentKey("jobs", agents);
        String run = UUID.randomUUID().toString().substring(0, 8);
        long[] submittedAt = new long[count];
        LatencyRecorder dispatch = new LatencyRecorder(count);
        LatencyRecorder submit = new LatencyRecorder(count);
        AtomicLong lastResultAt = new AtomicLong();
        CountDownLatch allDone = new CountDownLatch(count);
        CountDownLatch welcomed = new CountDownLatch(agents);
        List<WebSocket> sockets = new ArrayList<>();
        List<EchoAgent> echoAgents = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            EchoAgent agent = new EchoAgent(submittedAt, dispatch, lastResultAt, allDone, welcomed);
            echoAgents.add(agent);
            String token = api.post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"jobs-" + run + "-" + i + "\"}", false)
                    .get("robot_token").asText();
            sockets.add(client.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create(agentServers.get(i % agentServers.size()).resolve("/api/agent/ws").toString()
                                    .replaceFirst("^http", "ws")),
                            agent)
                    .join());
            agent.send(sockets.get(i), FRAMES.write(new Frame.Hello(null, "loadtest", null, "loadtest", List.of("echo"), null, null)));
        }
        if (!welcomed.await(60, TimeUnit.SECONDS)) {
            throw new IOException("only " + (agents - welcomed.getCount()) + " of " + agents + " agents were welcomed");
        }
        int beatSeconds = echoAgents.stream().mapToInt(agent -> agent.heartbeatSeconds).filter(s -> s > 0).min().orElse(15);
        java.util.concurrent.ScheduledExecutorService beats = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "loadtest-jobs-heartbeats");
            thread.setDaemon(true);
            return thread;
        });
        beats.scheduleAtFixedRate(() -> {
            for (int i = 0; i < sockets.size(); i++) {
                echoAgents.get(i).send(sockets.get(i), FRAMES.write(new Frame.Heartbeat(Long.toString(System.nanoTime()))));
            }
        }, beatSeconds, beatSeconds, TimeUnit.SECONDS);
        out.printf("%d agents connected; submitting %d echo jobs %s%n", agents, count, rate > 0 ? "at " + rate + "/s" : "as fast as possible");

        ServerMetrics serverBefore = ServerMetrics.scrape(client, servers);
        long deadline = System.nanoTime() + maxDuration.toNanos();
        long started = System.nanoTime();
        AtomicInteger next = new AtomicInteger();
        List<Thread> submitters = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            submitters.add(Thread.ofPlatform().name("loadtest-submit-" + w).start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count && System.nanoTime() < deadline) {
                    if (rate > 0) {
                        long due = started + (long) i * 1_000_000_000L / rate;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                    }
                    submitOne(i, submittedAt, submit);
                }
            }));
        }
        Progress progress = Progress.start(out, "jobs", dispatch, count);
        for (Thread submitter : submitters) {
            submitter.join();
        }
        allDone.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        progress.stop();
        double serverCpuSeconds = ServerMetrics.scrape(client, servers).cpuSecondsTotal() - serverBefore.cpuSecondsTotal();
        beats.shutdownNow();
        double elapsed = (lastResultAt.get() - started) / 1e9;
        for (WebSocket socket : sockets) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
        long done = count - allDone.getCount();
        return new Result(agents, done, done / Math.max(elapsed, 1e-9), elapsed, dispatch.summary(elapsed), submit.summary(elapsed),
                serverCpuSeconds);
    }

    private void submitOne(int index, long[] submittedAt, LatencyRecorder submit) {
        HttpRequest request = HttpRequest.newBuilder(submitServers.get(index % submitServers.size()).resolve("/api/jobs")).timeout(Duration.ofSeconds(30))
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
                submit.error("http_" + response.statusCode());
            }
        } catch (IOException e) {
            submit.error("io_error");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A simulated agent that runs echo: accepts each job, answers with its payload, and times the dispatch; heartbeats when told. */
    private final class EchoAgent implements WebSocket.Listener {
        private final long[] submittedAt;
        private final LatencyRecorder dispatch;
        private final AtomicLong lastResultAt;
        private final CountDownLatch allDone;
        private final CountDownLatch welcomed;
        private final StringBuilder partial = new StringBuilder();
        /** The JDK client allows one outstanding send per socket: every send waits for the one before. Guarded by this. */
        private CompletableFuture<WebSocket> sendTail = CompletableFuture.completedFuture(null);
        /** The heartbeat interval the welcome gave, 0 until then. */
        volatile int heartbeatSeconds;

        EchoAgent(long[] submittedAt, LatencyRecorder dispatch, AtomicLong lastResultAt, CountDownLatch allDone, CountDownLatch welcomed) {
            this.submittedAt = submittedAt;
            this.dispatch = dispatch;
            this.lastResultAt = lastResultAt;
            this.allDone = allDone;
            this.welcomed = welcomed;
        }

        /** Queues {@code text} behind this socket's earlier sends; the future completes when it is sent. */
        synchronized CompletableFuture<WebSocket> send(WebSocket socket, String text) {
            sendTail = sendTail.exceptionally(e -> socket).thenCompose(previous -> socket.sendText(text, true));
            return sendTail;
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                handle(socket, text);
            }
            socket.request(1);
            return null;
        }

        private void handle(WebSocket socket, String text) {
            long received = System.nanoTime();
            Frame frame;
            try {
                frame = FRAMES.read(text);
            } catch (FrameException e) {
                return;
            }
            if (frame instanceof Frame.Welcome welcome) {
                heartbeatSeconds = welcome.heartbeatIntervalS() == null ? 15 : welcome.heartbeatIntervalS();
                welcomed.countDown();
                return;
            }
            if (!(frame instanceof Frame.JobAssign assign)) {
                return;
            }
            String jobId = assign.jobId();
            int index = assign.payload() == null ? -1 : assign.payload().path("n").asInt(-1);
            if (index >= 0 && index < submittedAt.length && submittedAt[index] != 0) {
                dispatch.success(received - submittedAt[index]);
            }
            send(socket, FRAMES.write(new Frame.JobAccepted(jobId)));
            send(socket, FRAMES.write(new Frame.JobResult(jobId, "succeeded", assign.payload(), 0, null)))
                    .thenRun(() -> {
                        lastResultAt.set(System.nanoTime());
                        allDone.countDown();
                    });
        }
    }
}
