package dev.beacon.agent;

import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameException;
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
        send(hello(options.host(), credentials.current()));
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
        Frame frame;
        try {
            frame = AgentJson.FRAMES.read(text);
        } catch (FrameException e) {
            if (e.code().equals("unknown_frame")) {
                LOG.debug("ignoring a frame from the server: {}", e.detail());
            } else {
                LOG.warn("ignoring a frame from the server ({} characters): {}", text.length(), e.detail());
            }
            return;
        }
        if (frame instanceof Frame.Welcome welcome) {
            onWelcome(welcome);
        } else if (frame instanceof Frame.HeartbeatAck) {
            LOG.trace("heartbeat acknowledged");
        } else if (frame instanceof Frame.Bye bye) {
            end(SessionEnd.ofBye(orEmpty(bye.reason()), credentials.file().path()));
        } else if (frame instanceof Frame.JobAssign assign) {
            onJobAssign(assign);
        } else if (frame instanceof Frame.JobCancel cancel) {
            LOG.info("job {}: cancel requested ({})", cancel.jobId(), jobs.cancel(cancel.jobId()) ? "stopping it" : "not running here");
        } else if (frame instanceof Frame.TokenRotated rotated) {
            onTokenRotated(orEmpty(rotated.token()));
        } else if (frame instanceof Frame.Error error) {
            LOG.warn("the server reported a protocol error: {} {}", orEmpty(error.code()), orEmpty(error.detail()));
        } else {
            LOG.debug("ignoring a frame of type '{}', which the server does not send", frame.type());
        }
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }

    private void onWelcome(Frame.Welcome welcome) {
        Integer interval = welcome.heartbeatIntervalS();
        heartbeatIntervalS = interval != null && interval > 0 ? interval : DEFAULT_HEARTBEAT_S;
        String sessionId = welcome.sessionId() == null ? "?" : welcome.sessionId();
        lastBeatNanos = System.nanoTime(); // first heartbeat one interval after welcome
        LOG.info("connected to {} as {} (session {})", uri, credentials.current().name(), sessionId);
        welcomed.complete(sessionId);
    }

    private void onJobAssign(Frame.JobAssign assign) {
        JobAssignment job;
        try {
            job = JobAssignment.of(assign);
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring a job.assign without job_id or kind");
            return;
        }
        LOG.info("job {} ({}): assigned", job.jobId(), job.kind());
        JobRunner.Submission submission = jobs.submit(job,
                () -> send(new Frame.JobAccepted(job.jobId())),
                this::send,
                result -> send(resultFrame(result)));
        if (submission instanceof JobRunner.Submission.Rejected rejected) {
            LOG.warn("job {} ({}): refused — {}", job.jobId(), job.kind(), rejected.result().error());
            send(resultFrame(rejected.result()));
        }
    }

    /** The first frame of a connection: this host's facts, the kinds of job it runs and its labels. */
    static Frame.Hello hello(HostFacts host, AgentConfig config) {
        return new Frame.Hello(host.hostname(), host.os(), host.arch(), host.agentVersion(),
                JobRunner.capabilities(config.handlers()), config.labels(), null);
    }

    static Frame.JobResult resultFrame(JobResult result) {
        return new Frame.JobResult(result.jobId(), result.status().wireName(), result.output(), result.exitCode(), result.error());
    }

    private void onTokenRotated(String newToken) {
        try {
            credentials.replaceToken(newToken); // on disk before the ack: the server may drop the old token at once
            send(new Frame.TokenRotatedAck());
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
            send(new Frame.Heartbeat(DateTimeFormatter.ISO_INSTANT.format(options.clock().instant())));
            enqueue(ws -> ws.sendPing(ByteBuffer.allocate(0))); // a pong proves the server is there even without acks
        }
        if (socket != null && now - lastHeardNanos > SILENT_INTERVALS * interval) {
            end(new SessionEnd.Reconnect("nothing heard from the server for " + TimeUnit.NANOSECONDS.toSeconds(now - lastHeardNanos) + " s"));
        }
    }

    /** Queues a frame behind earlier sends (the JDK allows one outstanding send); dropped if the socket is closed. */
    void send(Frame frame) {
        String text = AgentJson.FRAMES.write(frame);
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
