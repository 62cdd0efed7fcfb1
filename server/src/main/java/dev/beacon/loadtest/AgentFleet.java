package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.agent.Backoff;
import dev.beacon.agent.ServerEndpoint;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Simulated agents, one per robot token, as the real agent behaves on the wire: connect to the agent
 * WebSocket, say hello, heartbeat every interval (spread evenly over the fleet), run {@code echo} jobs
 * (accept, then answer with the payload, after {@code payload.sleep_ms} when it says so), and after a drop
 * reconnect with the real agent's jittered, capped backoff ({@link Backoff#ofAgentDefaults()}). Given several
 * server URLs, an agent fails over as the real one does: a connect that fails, or a connection that ends before
 * its welcome, moves it to the next URL; after a welcomed session it tries that same server first again.
 * Records heartbeat round trips, submit → agent-receives latency (when the submitter's clock is shared through
 * {@link #submittedAt}), and the time each dropped agent took to be welcomed again. The JDK client's threads
 * call the listeners; any thread may call the public methods. Thread-safe.
 *
 * <p>Over 400 lines on purpose: the inner {@code Agent} is one WebSocket listener whose connect, frame handling,
 * failover and reconnect share one lock and its state (socket, send chain, backoff, server index); split apart,
 * that state would have to be shared across classes, which is harder to reason about than one listener read top
 * to bottom.
 */
final class AgentFleet {
    /** Connects in flight at once while the fleet first comes up (reconnects are paced by backoff alone, as in a real fleet). */
    private static final int FIRST_CONNECTS_IN_FLIGHT = 256;

    private final HttpClient client;
    /** The simulated agents' frames: the same records and codec as the real agent's. */
    private final FrameCodec frames;
    private final String hello;
    /** The agent WebSocket URL of each server, in the order agents try them. */
    private final List<URI> wsUris;
    private final List<Agent> agents = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "loadtest-fleet");
        thread.setDaemon(true);
        return thread;
    });
    private final Semaphore firstConnects = new Semaphore(FIRST_CONNECTS_IN_FLIGHT);
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger everWelcomed = new AtomicInteger();
    private final LongAdder drops = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> byes = new ConcurrentHashMap<>();
    private final AtomicLong firstDropMillis = new AtomicLong();
    private final AtomicLong lastRewelcomeMillis = new AtomicLong();
    private final AtomicLong jobsDone = new AtomicLong();
    private final AtomicLong lastResultNanos = new AtomicLong();
    private volatile boolean closing;
    /** Whether heartbeat round trips count yet: only from the steady phase on, not while the fleet is still connecting. */
    private volatile boolean measuring;
    /** Submit start times by job index, when a submitter in this process shares them; null otherwise. */
    volatile long[] submittedAt;

    final LatencyRecorder heartbeats;
    final LatencyRecorder reconnects;
    final LatencyRecorder dispatch;

    AgentFleet(HttpClient client, ObjectMapper json, URI server, List<String> tokens, int expectedHeartbeats, int expectedJobs) {
        this(client, json, List.of(server), tokens, expectedHeartbeats, expectedJobs);
    }

    /** Agents that know several servers (nodes of one control plane); agent {@code i} starts at server {@code i % n}. */
    AgentFleet(HttpClient client, ObjectMapper json, List<URI> servers, List<String> tokens, int expectedHeartbeats, int expectedJobs) {
        this.client = client;
        this.frames = new FrameCodec(json);
        this.hello = frames.write(new Frame.Hello(null, "loadtest", null, "loadtest", List.of("echo"), null, null));
        this.wsUris = servers.stream().map(server -> URI.create(server.resolve("/api/agent/ws").toString().replaceFirst("^http", "ws")))
                .toList();
        for (int i = 0; i < tokens.size(); i++) {
            agents.add(new Agent(tokens.get(i), i % wsUris.size()));
        }
        this.heartbeats = new LatencyRecorder(Math.max(1, expectedHeartbeats));
        this.reconnects = new LatencyRecorder(Math.max(1, tokens.size() * 4));
        this.dispatch = new LatencyRecorder(Math.max(1, expectedJobs));
    }

    /** What a fleet saw, for the report: connections, drops and why, and how the reconnect storm spread. */
    record Counts(int size, int connected, int everWelcomed, long drops, java.util.Map<String, Long> byes, long firstDropMillis,
                  long lastRewelcomeMillis, long jobsDone) {
    }

    /**
     * Connects every agent, at most {@value #FIRST_CONNECTS_IN_FLIGHT} connects in flight, and returns once each
     * has been welcomed or has failed its first attempt (a failed agent keeps retrying with backoff), or at
     * {@code deadlineNanos}.
     */
    void connectAll(long deadlineNanos) throws InterruptedException {
        for (Agent agent : agents) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !firstConnects.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                break;
            }
            agent.connect();
        }
        long left = Math.max(0, deadlineNanos - System.nanoTime());
        if (firstConnects.tryAcquire(FIRST_CONNECTS_IN_FLIGHT, left, TimeUnit.NANOSECONDS)) {
            firstConnects.release(FIRST_CONNECTS_IN_FLIGHT);
        }
    }

    /**
     * Starts every agent's heartbeat, one every {@code periodSeconds}, the fleet's beats spread evenly over the period;
     * an agent not welcomed (yet, or since a drop) skips its beat.
     */
    void startHeartbeats(int periodSeconds) {
        long periodNanos = TimeUnit.SECONDS.toNanos(periodSeconds);
        for (int i = 0; i < agents.size(); i++) {
            Agent agent = agents.get(i);
            long offset = periodNanos * i / agents.size() + ThreadLocalRandom.current().nextLong(1_000_000);
            agent.heartbeat = scheduler.scheduleAtFixedRate(agent::heartbeat, offset, periodNanos, TimeUnit.NANOSECONDS);
        }
    }

    int connected() {
        return connected.get();
    }

    /** From now on, heartbeat round trips are recorded (the steady phase has begun). */
    void startMeasuring() {
        measuring = true;
    }

    long jobsDone() {
        return jobsDone.get();
    }

    long lastResultNanos() {
        return lastResultNanos.get();
    }

    Counts counts() {
        java.util.Map<String, Long> byReason = new java.util.TreeMap<>();
        byes.forEach((reason, n) -> byReason.put(reason, n.sum()));
        return new Counts(agents.size(), connected.get(), everWelcomed.get(), drops.sum(), byReason, firstDropMillis.get(),
                lastRewelcomeMillis.get(), jobsDone.get());
    }

    /** Stops heartbeats and reconnects, closes every socket and waits up to 30 s for the closes to be sent. */
    void close() throws InterruptedException {
        closing = true;
        scheduler.shutdownNow();
        List<CompletableFuture<?>> closes = new ArrayList<>();
        for (Agent agent : agents) {
            closes.add(agent.close());
        }
        try {
            CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // a socket the server already closed, or one stuck: either way this run is over
        }
    }

    /** How long a refused upgrade asked to wait before the next attempt ({@code Retry-After}), as the real agent reads it. */
    static Duration notBefore(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof WebSocketHandshakeException handshake ? Backoff.retryAfter(handshake.getResponse().headers()) : Duration.ZERO;
    }

    /** The error code a failed connect counts under: the HTTP status of a refused upgrade, else the kind of failure. */
    static String connectFailure(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof WebSocketHandshakeException handshake) {
            return "connect_http_" + handshake.getResponse().statusCode();
        }
        if (cause instanceof java.net.http.HttpTimeoutException) {
            return "connect_timeout";
        }
        return cause instanceof IOException ? "connect_refused" : "connect_failed";
    }

    /**
     * One simulated agent. Its lock guards the socket, the send chain, the backoff, the server it aims at and the drop
     * bookkeeping. Like the real agent with several servers: a connect that fails, or a socket that ends before its
     * {@code welcome}, moves the next attempt to the next server (cycling); after a welcomed session the first attempt
     * goes back to the same server.
     */
    private final class Agent implements WebSocket.Listener {
        private final String token;
        private final Backoff backoff = Backoff.ofAgentDefaults();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;
        /** The JDK client allows one outstanding send per socket, so every send waits for the one before. */
        private CompletableFuture<WebSocket> sendTail = CompletableFuture.completedFuture(null);
        private boolean welcomed;
        private boolean firstOutcomeSeen;
        /** The index in {@code wsUris} of the server this agent tries (or holds) now. */
        private int serverIndex;
        /** When this agent lost its last welcomed connection (nanoTime), or 0 while connected or never connected. */
        private long droppedAtNanos;
        volatile ScheduledFuture<?> heartbeat;

        Agent(String token, int serverIndex) {
            this.token = token;
            this.serverIndex = serverIndex;
        }

        void connect() {
            if (closing) {
                return;
            }
            URI target;
            synchronized (this) {
                target = wsUris.get(serverIndex);
            }
            client.newWebSocketBuilder().header("Authorization", "Bearer " + token).connectTimeout(ServerEndpoint.CONNECT_TIMEOUT)
                    .buildAsync(target, this)
                    .whenComplete((ws, failure) -> {
                        if (failure != null) {
                            heartbeats.error(connectFailure(failure));
                            firstOutcome();
                            nextServer();
                            retryLater(notBefore(failure));
                        } else {
                            synchronized (this) {
                                socket = ws;
                                sendTail = CompletableFuture.completedFuture(ws);
                            }
                            if (ws.isInputClosed()) {
                                dropped(ws); // closed by the server before this callback ran
                            } else {
                                send(ws, hello);
                            }
                        }
                    });
        }

        void heartbeat() {
            WebSocket ws;
            synchronized (this) {
                ws = welcomed ? socket : null;
            }
            if (ws != null) {
                send(ws, frames.write(new Frame.Heartbeat(Long.toString(System.nanoTime()))));
            }
        }

        synchronized void send(WebSocket ws, String text) {
            if (ws != socket) {
                return;
            }
            sendTail = sendTail.exceptionally(e -> ws).thenCompose(previous -> ws.sendText(text, true));
        }

        synchronized CompletableFuture<?> close() {
            if (socket == null || socket.isOutputClosed()) {
                return CompletableFuture.completedFuture(null);
            }
            WebSocket ws = socket;
            return sendTail.exceptionally(e -> ws).thenCompose(previous -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "done"))
                    .exceptionally(e -> ws);
        }

        private void firstOutcome() {
            synchronized (this) {
                if (firstOutcomeSeen) {
                    return;
                }
                firstOutcomeSeen = true;
            }
            firstConnects.release();
        }

        /** The next attempt goes to the next server URL, cycling (as the real agent fails over). */
        private synchronized void nextServer() {
            serverIndex = (serverIndex + 1) % wsUris.size();
        }

        private void retryLater() {
            retryLater(Duration.ZERO);
        }

        /** Schedules the next connect after the backoff, and first {@code notBefore} if the server asked for it. */
        private void retryLater(Duration notBefore) {
            long delay;
            synchronized (this) {
                delay = backoff.next(notBefore).toNanos();
            }
            if (!closing) {
                try {
                    scheduler.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the fleet is closing
                }
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String frame = partial.toString();
                partial.setLength(0);
                handle(ws, frame);
            }
            ws.request(1);
            return null;
        }

        private void handle(WebSocket ws, String text) {
            long received = System.nanoTime();
            Frame frame;
            try {
                frame = frames.read(text);
            } catch (FrameException e) {
                return; // nothing a simulated agent acts on
            }
            if (frame instanceof Frame.HeartbeatAck ack) {
                if (ack.sentAt() != null && measuring) {
                    try {
                        heartbeats.success(received - Long.parseLong(ack.sentAt()));
                    } catch (NumberFormatException e) {
                        heartbeats.error("bad_ack");
                    }
                }
            } else if (frame instanceof Frame.JobAssign assign) {
                echo(ws, assign, received);
            } else if (frame instanceof Frame.Welcome) {
                welcomed(ws);
            } else if (frame instanceof Frame.Bye bye) {
                String reason = bye.reason() == null ? "unknown" : bye.reason();
                byes.computeIfAbsent(reason.length() <= 40 ? reason : "other", k -> new LongAdder()).increment();
            } else if (frame instanceof Frame.Error error) {
                heartbeats.error("error_frame_" + (error.code() == null ? "none" : FrameCodec.abbreviate(error.code())));
            }
        }

        private void welcomed(WebSocket ws) {
            long dropped;
            synchronized (this) {
                if (ws != socket || welcomed) {
                    return;
                }
                welcomed = true;
                backoff.reset();
                dropped = droppedAtNanos;
                droppedAtNanos = 0;
            }
            connected.incrementAndGet();
            everWelcomed.incrementAndGet();
            if (dropped != 0) {
                reconnects.success(System.nanoTime() - dropped);
                lastRewelcomeMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
            }
            firstOutcome();
        }

        private void echo(WebSocket ws, Frame.JobAssign assign, long received) {
            try {
                String jobId = assign.jobId();
                int index = assign.payload() == null ? -1 : assign.payload().path("n").asInt(-1);
                long[] submitted = submittedAt;
                if (submitted != null && index >= 0 && index < submitted.length && submitted[index] != 0) {
                    dispatch.success(received - submitted[index]);
                }
                send(ws, frames.write(new Frame.JobAccepted(jobId)));
                Runnable answer = () -> {
                    CompletableFuture<WebSocket> sent;
                    synchronized (this) {
                        if (ws != socket) {
                            return; // the connection ended meanwhile: as a real agent would, drop the run
                        }
                        send(ws, frames.write(new Frame.JobResult(jobId, "succeeded", assign.payload(), 0, null)));
                        sent = sendTail;
                    }
                    sent.thenRun(() -> {
                        lastResultNanos.accumulateAndGet(System.nanoTime(), Math::max);
                        jobsDone.incrementAndGet();
                    });
                };
                long sleepMillis = assign.payload() == null ? 0 : assign.payload().path("sleep_ms").asLong(0);
                if (sleepMillis > 0) {
                    scheduler.schedule(answer, sleepMillis, TimeUnit.MILLISECONDS);
                } else {
                    answer.run();
                }
            } catch (RuntimeException e) {
                dispatch.error("bad_assign_frame");
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            dropped(ws);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            if (!closing) {
                heartbeats.error("socket_error");
            }
            dropped(ws);
        }

        /** The socket ended: count the drop, remember when, and reconnect after a backoff (unless the fleet is closing). */
        private void dropped(WebSocket ws) {
            boolean wasWelcomed;
            synchronized (this) {
                if (ws != socket) {
                    return;
                }
                socket = null;
                wasWelcomed = welcomed;
                welcomed = false;
                partial.setLength(0);
                if (wasWelcomed) {
                    droppedAtNanos = System.nanoTime();
                } else {
                    serverIndex = (serverIndex + 1) % wsUris.size(); // ended before its welcome: try the next server
                }
            }
            if (closing) {
                return;
            }
            if (wasWelcomed) {
                connected.decrementAndGet();
                drops.increment();
                firstDropMillis.compareAndSet(0, System.currentTimeMillis());
            }
            firstOutcome();
            retryLater();
        }
    }
}
