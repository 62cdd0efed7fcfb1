package dev.beacon.agentchannel;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.jobs.Dispatcher;
import dev.beacon.joboutput.JobOutputService;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.LiveConnections;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;
import dev.beacon.robots.RobotAuth;
import dev.beacon.store.Ids;
import io.github.bucket4j.TimeMeter;
import io.javalin.config.RoutesConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongSupplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the agent WebSocket ({@code GET /api/agent/ws}): routes each frame of the protocol of
 * docs/agent-protocol.md to the part that owns it, and greets agents ({@code hello}: presence, replacing a robot's
 * older connection). Its parts share the sockets through {@link AgentSessions}: the {@link UpgradeGate}
 * (authentication and refusal before the upgrade), {@link TokenRotation} and {@link Liveness} (heartbeats, flood
 * limits, timeouts). Agents connect through the {@link AgentEndpoint}, on Jetty's WebSocket core; Jetty calls
 * {@link #onMessage} on the connection's own thread (one message at a time per connection); {@link #sweep} and
 * {@link #flushLastSeen} run on the server's scheduler; {@link #disconnect} and {@link #requestTokenRotation} on
 * request threads. Thread-safe.
 */
public final class AgentChannel implements LiveConnections {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    static final String PATH = "/api/agent/ws";
    /** Sweeps between two clean-ups of the per-address and per-robot limiter tables. */
    private static final int SWEEPS_PER_CLEANUP = 30;

    private final RobotStore robots;
    private final PresenceStore presence;
    private final Ids ids;
    private final Clock clock;
    /** Reads agents' frames with the mapper's limits (an over-deep frame is malformed) and writes the server's. */
    private final FrameCodec frames;
    private final int heartbeatIntervalSeconds;
    private final Counter connects;
    private final Dispatcher dispatcher;
    private final FleetEvents events;
    private final JobOutputService output;
    private final AgentSessions sessions;
    private final UpgradeGate gate;
    private final TokenRotation rotation;
    private final Liveness liveness;
    /** Sweeps so far; only the scheduler's one thread counts them. */
    private int sweeps;
    /** Monotonic nanoseconds for silence and timeouts ({@code System::nanoTime} outside tests). */
    private final LongSupplier ticker;

    public AgentChannel(RobotAuth robotAuth, RobotStore robots, PresenceStore presence, Ids ids, Clock clock, LongSupplier ticker,
                        ObjectMapper json, int heartbeatIntervalSeconds, int connectsPerSecond, MeterRegistry metrics,
                        Dispatcher dispatcher, FleetEvents events, JobOutputService output) {
        this.dispatcher = dispatcher;
        this.output = output;
        this.events = events;
        this.robots = robots;
        this.presence = presence;
        this.ids = ids;
        this.clock = clock;
        this.ticker = ticker;
        this.frames = new FrameCodec(json);
        this.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
        this.connects = metrics.counter("beacon.agent.connects");
        this.sessions = new AgentSessions(presence, events, clock, metrics, frames);
        this.gate = new UpgradeGate(robotAuth, json, metrics, ticker, connectsPerSecond);
        this.rotation = new TokenRotation(sessions, robots, ids, clock, metrics, TimeMeter.SYSTEM_MILLISECONDS);
        this.liveness = new Liveness(sessions, presence, clock, ticker, TimeMeter.SYSTEM_MILLISECONDS, heartbeatIntervalSeconds, metrics,
                frames);
    }

    /**
     * The handler that upgrades agent connections, to be put in front of the web application (see
     * {@link AgentEndpoint}): {@code idleTimeout} is Jetty's backstop for silent connections, {@code maxMessageBytes}
     * the largest message an agent may send (a larger one closes its connection with status 1009).
     */
    public Handler.Wrapper endpoint(Duration idleTimeout, long maxMessageBytes) {
        return new AgentEndpoint(this, gate, idleTimeout, maxMessageBytes);
    }

    /** A plain GET of the agent path, not an upgrade: the same token check, then 426 (the upgrades never get here). */
    public void register(RoutesConfig routes) {
        routes.get(PATH, gate::refusePlainGet);
    }

    /** A connection the gate accepted is open: it becomes a socket of this server. */
    AgentSocket opened(UpgradeGate.Accepted accepted, CoreSession session) {
        Robot robot = accepted.robot().robot();
        // The organization and address are shared through the JVM's string table: thousands of sockets hold one copy.
        AgentSocket socket = new AgentSocket(ids.next("ses"), robot.id(), robot.name(), robot.orgId().intern(), accepted.ip().intern(),
                accepted.robot().tokenHash(), session, ticker.getAsLong(), clock.millis());
        sessions.opened(socket);
        connects.increment();
        return socket;
    }

    /** The connection ended, closed by the agent or the network (a close by the server was recorded when it closed). */
    void closed(AgentSocket socket, int status) {
        sessions.closedByPeer(socket, status);
    }

    /**
     * Answers a greeted agent's plain heartbeat at once, on the thread that read it (Jetty's selector), when it is
     * within the connection's budget: that path never waits, and reads the frame without a tree (anything odd takes the
     * full read in {@link #onMessage}). Returns false for every other message, and for a
     * heartbeat over the budget, which then go to {@link #onMessage} on a thread that may wait.
     */
    boolean answeredAtOnce(AgentSocket socket, String message) {
        if (!socket.greeted) {
            return false;
        }
        if (!sessions.isOpen(socket)) {
            return true; // closed by the server a moment ago: dropped, as onMessage would
        }
        Frame.Heartbeat beat = frames.plainHeartbeat(message);
        return beat != null && liveness.acknowledge(socket, beat);
    }

    /** One whole text message from an agent, in the order it sent them; may wait (the database, a socket's lock). */
    void onMessage(AgentSocket socket, String message) {
        if (!sessions.isOpen(socket)) {
            return; // closed by the server a moment ago
        }
        // Plain heartbeats within budget never get here (answeredAtOnce): those left are rare, so the full read serves.
        FrameCodec.Envelope frame;
        try {
            frame = frames.envelope(message);
        } catch (FrameException e) {
            sessions.send(socket, e.toFrame());
            return;
        }
        String type = frame.type();
        // Nothing but hello before hello. Token rotation on a connection of its own (`beacon agent rotate-token` beside
        // a running agent) says a hello with purpose rotate-token, which registers no presence and replaces no session.
        if (!socket.greeted && !socket.rotateOnly && !type.equals("hello")) {
            sessions.send(socket, new Frame.Error("hello_required", "Send 'hello' first; got '" + FrameCodec.abbreviate(type) + "'."
                    + (type.startsWith("token.") ? " To only rotate the token, send {\"type\":\"hello\",\"purpose\":\"rotate-token\"} first." : "")));
            return;
        }
        if (socket.rotateOnly && !type.equals("hello") && !type.equals("token.rotate") && !type.equals("token.rotated.ack")) {
            sessions.send(socket, new Frame.Error("rotate_only", "This connection said hello to rotate the token only; it takes token.rotate "
                    + "and token.rotated.ack, not '" + FrameCodec.abbreviate(type) + "'."));
            return;
        }
        switch (type) {
            case Frame.Hello.TYPE -> onHello(socket, frame);
            case Frame.Heartbeat.TYPE -> liveness.onHeartbeat(socket, frame);
            case Frame.TokenRotate.TYPE -> rotation.onTokenRotate(socket);
            case Frame.TokenRotatedAck.TYPE -> rotation.onTokenRotatedAck(socket);
            case Frame.JobAccepted.TYPE, Frame.JobProgress.TYPE, Frame.JobResult.TYPE, Frame.JobOutput.TYPE -> onJobFrame(socket, frame);
            default -> sessions.send(socket, new Frame.Error("unknown_frame", "Unknown frame type '" + FrameCodec.abbreviate(type) + "'."));
        }
    }

    private void onHello(AgentSocket socket, FrameCodec.Envelope frame) {
        if (socket.greeted || socket.rotateOnly) {
            sessions.send(socket, new Frame.Error("duplicate_hello", "This connection already said hello."));
            return;
        }
        // Said in time: while its presence write waits (behind thousands of others after a restart), the hello deadline
        // must not close this connection, or the agent starts over and the write is undone. A hello that fails leaves
        // the deadline as it was.
        socket.helloInFlight = true;
        try {
            greet(socket, frame);
        } finally {
            socket.helloInFlight = false;
        }
    }

    private void greet(AgentSocket socket, FrameCodec.Envelope frame) {
        Frame.Hello said = (Frame.Hello) sessions.decoded(socket, frame);
        if (said == null) {
            return;
        }
        PresenceStore.Hello hello = new PresenceStore.Hello(said.hostname(), said.os(), said.arch(), said.agentVersion(),
                said.capabilities() == null ? List.of() : said.capabilities(),
                said.labels() == null ? new LinkedHashMap<>() : said.labels());
        if (said.isRotateOnly()) {
            // Checked again like any hello (a revoke or removal since the upgrade ends it here), but no presence.
            RobotStore.TokenCheck check = robots.checkToken(socket.robotId, socket.tokenHash, clock.instant());
            if (check != RobotStore.TokenCheck.LIVE) {
                refuseHello(socket, check);
                return;
            }
            socket.rotateOnly = true;
            sessions.send(socket, new Frame.Welcome(socket.robotId, socket.robotName, socket.sessionId, null, Frame.Hello.ROTATE_TOKEN));
            return;
        }
        // Removal and revocation are checked again here, under the robot's lock that revoke-token, cascade revoke and
        // DELETE take too, in the transaction that writes presence. The upgrade's check is not enough: a DELETE that
        // lands between the upgrade's 101 and this socket's registration does not find the socket to close it.
        RobotStore.TokenCheck check = presence.connected(socket.robotId, socket.sessionId, socket.ip, hello, clock.instant(),
                connection -> robots.checkToken(connection, socket.robotId, socket.tokenHash, clock.instant()));
        if (check != RobotStore.TokenCheck.LIVE) {
            refuseHello(socket, check);
            return;
        }
        AgentSocket previous = null;
        boolean closedMeanwhile;
        synchronized (socket) {
            closedMeanwhile = socket.closeReason != null;
            if (!closedMeanwhile) {
                liveness.greeted(socket);
                previous = sessions.speakFor(socket);
            }
        }
        if (closedMeanwhile) {
            // Closed (revoked, removed, shut down) after the presence write but before it counted as greeted: undo it.
            presence.disconnected(socket.robotId, socket.sessionId, socket.closeReason, clock.instant());
            return;
        }
        if (previous != null && previous != socket) {
            sessions.close(previous, "replaced", false);
        }
        synchronized (socket) {
            if (socket.closeReason != null) {
                return; // closed meanwhile; ended() did the bookkeeping
            }
            sessions.send(socket, new Frame.Welcome(socket.robotId, socket.robotName, socket.sessionId, heartbeatIntervalSeconds, null));
            log.info("agent {} connected from {} (session {}, {} {})", socket.robotName, socket.ip, socket.sessionId,
                    hello.os(), hello.agentVersion());
            events.robotConnected(socket.robotId, socket.orgId, socket.sessionId, text -> sessions.send(socket, text));
        }
    }

    /** A hello whose robot was removed, or whose token was revoked or rotated away, since the upgrade. */
    private void refuseHello(AgentSocket socket, RobotStore.TokenCheck check) {
        String reason = switch (check) {
            case REMOVED -> "removed";
            case REVOKED -> "revoked";
            // The agent reconnects and reads its saved token again, which a rotation has replaced.
            case ROTATED, LIVE -> "token_rotated";
        };
        log.info("agent {} refused at hello: {} (session {})", socket.robotName, reason, socket.sessionId);
        sessions.close(socket, reason, false);
    }

    /** A {@code job.*} frame, read into its record (or answered with {@code invalid_job_frame}) and handed to jobs/. */
    private void onJobFrame(AgentSocket socket, FrameCodec.Envelope envelope) {
        Frame frame = sessions.decoded(socket, envelope);
        if (frame == null) {
            return;
        }
        try {
            switch (frame) {
                case Frame.JobAccepted accepted -> dispatcher.jobAccepted(socket.robotId, socket.sessionId, accepted);
                case Frame.JobProgress progress -> dispatcher.jobProgress(socket.robotId, progress);
                case Frame.JobOutput chunk -> output.accept(socket.orgId, socket.sessionId, chunk);
                case Frame.JobResult result -> {
                    output.resultArrived(socket.sessionId, result.jobId()); // its output is stored before the job ends
                    dispatcher.jobResult(socket.robotId, socket.orgId, socket.sessionId, result);
                }
                default -> throw new IllegalArgumentException("not a job frame from an agent: " + frame.type());
            }
        } catch (RuntimeException e) {
            log.warn("could not handle {} from agent {}", frame.type(), socket.robotName, e);
            sessions.send(socket, new Frame.Error("invalid_job_frame", "The server could not record this frame; it will be reconciled."));
        }
    }

    /**
     * Asks a connected robot's agent to take a new token (the server side of {@code rotate-token}). Operator
     * rotations are not rate-limited, but like every rotation wait for an outstanding one to be acknowledged.
     */
    @Override
    public RotationRequest requestTokenRotation(String robotId) {
        return rotation.request(robotId);
    }

    /** Closes every live connection of these robots with {@code bye: reason} ({@code revoked} or {@code removed}). */
    public void disconnect(Collection<String> robotIds, String reason) {
        sessions.disconnect(robotIds, reason);
    }

    /** Whether a greeted connection of the robot is open on this server. */
    public boolean isConnectedHere(String robotId) {
        return sessions.speakingFor(robotId) != null;
    }

    /** Asks every agent connected here to connect again ({@code bye: shutdown}); this server keeps serving. */
    public void reconnectAll() {
        sessions.reconnectAll();
    }

    /** The robot said hello on another server node in session {@code sessionId}: its connection here says {@code bye: replaced}. */
    public void replacedElsewhere(String robotId, String sessionId) {
        sessions.replacedElsewhere(robotId, sessionId);
    }

    /** The organizations with a greeted connection on this server. */
    public List<String> organizationsConnectedHere() {
        return sessions.greeted().stream().map(socket -> socket.orgId).distinct().toList();
    }

    /**
     * Checks the token of every greeted connection again and closes those whose robot was removed or whose token was
     * revoked (with that reason): for when the news of it may have been missed. One read per connection; returns how
     * many closed.
     */
    public int closeDeadTokens() {
        int closed = 0;
        for (AgentSocket socket : List.copyOf(sessions.greeted())) {
            RobotStore.TokenCheck check = robots.checkToken(socket.robotId, socket.tokenHash, clock.instant());
            if (check == RobotStore.TokenCheck.REMOVED || check == RobotStore.TokenCheck.REVOKED) {
                sessions.close(socket, check == RobotStore.TokenCheck.REMOVED ? "removed" : "revoked", false);
                closed++;
            }
        }
        return closed;
    }

    /**
     * Closes connections that never said hello in time, outstayed a rotate-only visit, or stopped sending heartbeats
     * ({@link Liveness}); now and then forgets limiter entries that are full again. Run every second.
     */
    public void sweep() {
        long now = ticker.getAsLong();
        if (++sweeps % SWEEPS_PER_CLEANUP == 0) {
            gate.forgetQuiet(now);
            rotation.forgetRefilled();
        }
        liveness.sweep(now);
        sessions.recordUnwritten();
    }

    /** Writes the newest heartbeat time of every live robot in one batch; run about twice per interval. */
    public void flushLastSeen() {
        liveness.flushLastSeen();
    }

    /**
     * From now on every agent upgrade is refused with 503 {@code server_shutting_down} (the node drains before it
     * shuts down); agents already connected stay. Called by the shutdown, before {@link #shutdown}.
     */
    public void stopAccepting() {
        gate.shutDown();
    }

    /**
     * Refuses new upgrades, then says {@code bye: shutdown} to every agent, so they reconnect (to this server
     * restarted, or another node), marks their robots offline and settles the jobs they held
     * ({@link AgentSessions#closeAllForShutdown}): back to the queue, their attempt given back.
     */
    public void shutdown() {
        gate.shutDown();
        sessions.closeAllForShutdown();
    }
}
