package dev.beacon.agent;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One WebSocket connection to the server, from upgrade to close: sends {@code hello} and heartbeats, and handles
 * the frames of docs/agent-protocol.md. Thread-safe: the JDK calls the listener methods one at a time, the heartbeat ticker runs
 * on the scheduler, job results arrive from the job thread, and every send goes through one ordered chain.
 */
final class AgentSession implements WebSocket.Listener {
    /** Logs as AgentConnection: to an operator the connection's story is one stream of lines. */
    private static final Logger LOG = LoggerFactory.getLogger(AgentConnection.class);
    static final int DEFAULT_HEARTBEAT_S = 15;
    /** A server silent for this many heartbeat intervals is presumed gone, the same rule the server applies to us. */
    static final int SILENT_INTERVALS = 3;
    private static final Duration TICK = Duration.ofMillis(250);

    private final URI uri;
    private final CredentialStore credentials;
    private final JobRunner jobs;
    private final ConnectionOptions options;
    private final CompletableFuture<SessionEnd> ended = new CompletableFuture<>();
    private final CompletableFuture<String> welcomed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder(); // only touched by the listener callbacks
    private final Object sendLock = new Object();
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null); // guarded by sendLock
    private final ScheduledFuture<?> ticker;
    private volatile WebSocket socket;
    private volatile boolean closing;
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile long lastBeatNanos;
    private volatile int heartbeatIntervalS = DEFAULT_HEARTBEAT_S;

    AgentSession(URI uri, CredentialStore credentials, JobRunner jobs, ConnectionOptions options,
                 ScheduledExecutorService scheduler) {
        this.uri = uri;
        this.credentials = credentials;
        this.jobs = jobs;
        this.options = options;
        this.ticker = scheduler.scheduleAtFixedRate(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        ended.whenComplete((end, failure) -> ticker.cancel(false));
    }

    /** Starts the upgrade; the future completes once, when this session is over for whatever reason. */
    CompletableFuture<SessionEnd> open(HttpClient http) {
        http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + credentials.current().robotToken())
                .connectTimeout(ServerEndpoint.CONNECT_TIMEOUT)
                .buildAsync(uri, this)
                .whenComplete((ws, failure) -> {
                    if (failure != null) {
                        ended.complete(SessionEnd.ofDialFailure(failure, uri, credentials.file().path()));
                    }
                });
        return ended;
    }

    /** True once the upgrade succeeded, even if the session has ended since. */
    boolean opened() {
        return socket != null;
    }

    /** Completes with the server's session id when {@code welcome} arrives. */
    CompletableFuture<String> welcomed() {
        return welcomed;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        lastHeardNanos = System.nanoTime();
        if (closing) {
            sendClose("agent stopping");
            return;
        }
        send(OutgoingFrame.Hello.of(options.host(), credentials.current()));
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        lastHeardNanos = System.nanoTime();
        partial.append(data);
        if (last) {
            String text = partial.toString();
            partial.setLength(0);
            handle(text);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        webSocket.request(1); // the protocol has no binary frames; ignore rather than fail
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        lastHeardNanos = System.nanoTime(); // the JDK answers with a pong by itself
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        lastHeardNanos = System.nanoTime();
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        ended.complete(new SessionEnd.Reconnect("the server closed the connection (" + statusCode
                + (reason == null || reason.isBlank() ? "" : " " + reason) + ")"));
        return null; // the JDK then answers the close frame
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        ended.complete(new SessionEnd.Reconnect(ServerUnreachableException.of(uri, error).getMessage()));
    }

    private void handle(String text) {
        JsonNode frame;
        try {
            frame = AgentJson.JSON.readTree(text);
        } catch (JacksonException e) {
            LOG.warn("ignoring a frame from the server that is not JSON ({} characters)", text.length());
            return;
        }
        String type = frame == null ? "" : frame.path("type").asText("");
        switch (type) {
            case "welcome" -> onWelcome(frame);
            case "heartbeat.ack" -> LOG.trace("heartbeat acknowledged");
            case "bye" -> end(SessionEnd.ofBye(frame.path("reason").asText(""), credentials.file().path()));
            case "job.assign" -> onJobAssign(frame);
            case "job.cancel" -> {
                String jobId = frame.path("job_id").asText("");
                LOG.info("job {}: cancel requested ({})", jobId, jobs.cancel(jobId) ? "stopping it" : "not running here");
            }
            case "token.rotated" -> onTokenRotated(frame.path("token").asText(""));
            case "error" -> LOG.warn("the server reported a protocol error: {} {}", frame.path("code").asText(""),
                    frame.path("detail").asText(frame.path("message").asText("")));
            default -> LOG.debug("ignoring a frame of unknown type '{}'", type);
        }
    }

    private void onWelcome(JsonNode frame) {
        int interval = frame.path("heartbeat_interval_s").asInt(DEFAULT_HEARTBEAT_S);
        heartbeatIntervalS = interval > 0 ? interval : DEFAULT_HEARTBEAT_S;
        String sessionId = frame.path("session_id").asText("?");
        lastBeatNanos = System.nanoTime(); // first heartbeat one interval after welcome
        LOG.info("connected to {} as {} (session {})", uri, credentials.current().name(), sessionId);
        welcomed.complete(sessionId);
    }

    private void onJobAssign(JsonNode frame) {
        JobAssignment job;
        try {
            job = AgentJson.JSON.treeToValue(frame, JobAssignment.class);
        } catch (JacksonException | IllegalArgumentException e) {
            LOG.warn("ignoring a job.assign without job_id or kind");
            return;
        }
        LOG.info("job {} ({}): assigned", job.jobId(), job.kind());
        JobRunner.Submission submission = jobs.submit(job,
                () -> send(new OutgoingFrame.JobAccepted(job.jobId())),
                result -> send(OutgoingFrame.JobResultFrame.of(result)));
        if (submission instanceof JobRunner.Submission.Rejected rejected) {
            LOG.warn("job {} ({}): refused — {}", job.jobId(), job.kind(), rejected.result().error());
            send(OutgoingFrame.JobResultFrame.of(rejected.result()));
        }
    }

    private void onTokenRotated(String newToken) {
        try {
            credentials.replaceToken(newToken); // on disk before the ack: the server may drop the old token at once
            send(new OutgoingFrame.TokenRotatedAck());
            LOG.info("robot token rotated and saved to {}", credentials.file().path());
        } catch (AgentException e) {
            LOG.error("not acknowledging the token rotation: {}", e.getMessage());
        }
    }

    private void tick() {
        try {
            heartbeatOrGiveUp(System.nanoTime());
        } catch (RuntimeException e) {
            LOG.warn("heartbeat tick failed", e); // caught: an exception would silently cancel the fixed-rate task
        }
    }

    private void heartbeatOrGiveUp(long now) {
        long interval = TimeUnit.SECONDS.toNanos(heartbeatIntervalS);
        if (welcomed.isDone() && now - lastBeatNanos >= interval) {
            lastBeatNanos = now;
            send(new OutgoingFrame.Heartbeat(DateTimeFormatter.ISO_INSTANT.format(options.clock().instant())));
            enqueue(ws -> ws.sendPing(ByteBuffer.allocate(0))); // a pong proves the server is there even without acks
        }
        if (socket != null && now - lastHeardNanos > SILENT_INTERVALS * interval) {
            end(new SessionEnd.Reconnect("nothing heard from the server for " + TimeUnit.NANOSECONDS.toSeconds(now - lastHeardNanos) + " s"));
        }
    }

    /** Queues a frame behind earlier sends (the JDK allows one outstanding send); dropped if the socket is closed. */
    void send(OutgoingFrame frame) {
        String text = OutgoingFrame.encode(frame);
        enqueue(ws -> ws.sendText(text, true));
    }

    private void enqueue(Function<WebSocket, CompletableFuture<WebSocket>> sender) {
        WebSocket ws = socket;
        if (ws == null || ws.isOutputClosed() || ended.isDone()) {
            LOG.debug("not connected; a frame was dropped");
            return;
        }
        synchronized (sendLock) {
            lastSend = lastSend.exceptionally(ignored -> null)
                    .thenCompose(ignored -> sender.apply(ws))
                    .whenComplete((sent, failure) -> {
                        if (failure != null) {
                            end(new SessionEnd.Reconnect("sending failed: " + failure.getMessage()));
                        }
                    });
        }
    }

    private void sendClose(String reason) {
        WebSocket ws = socket;
        if (ws != null && !ws.isOutputClosed()) {
            synchronized (sendLock) {
                lastSend = lastSend.exceptionally(ignored -> null)
                        .thenCompose(ignored -> ws.sendClose(WebSocket.NORMAL_CLOSURE, reason));
            }
        }
    }

    /** Ends this session now (first reason wins) and drops the TCP connection. */
    void end(SessionEnd reason) {
        if (ended.complete(reason)) {
            WebSocket ws = socket;
            sendClose("bye");
            if (ws != null) {
                // Give the close frame a moment to leave before the hard abort.
                lastSendOrTimeout().whenComplete((ignored, failure) -> ws.abort());
            }
        }
    }

    /**
     * Closes with status 1000 and waits up to {@code timeout} for the server's close frame, then aborts.
     * Called by {@link AgentConnection#stop()}, from any thread.
     */
    void close(Duration timeout) throws InterruptedException {
        closing = true;
        sendClose("agent stopping");
        try {
            ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.debug("the server did not answer the close frame within {} ms", timeout.toMillis());
        } catch (ExecutionException e) {
            throw new IllegalStateException("ended never completes exceptionally", e);
        }
        ended.complete(new SessionEnd.Reconnect("stopped"));
        abort();
    }

    /** Drops the TCP connection without a close frame, as a crash would. */
    void abort() {
        ended.complete(new SessionEnd.Reconnect("aborted"));
        WebSocket ws = socket;
        if (ws != null) {
            ws.abort();
        }
    }

    private CompletableFuture<?> lastSendOrTimeout() {
        synchronized (sendLock) {
            return lastSend.exceptionally(ignored -> null).completeOnTimeout(null, 500, TimeUnit.MILLISECONDS);
        }
    }
}
