package dev.beacon.agentchannel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.errors.DomainException;
import dev.beacon.jobs.Dispatcher;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.LiveConnections;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotAuth;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.Ids;
import dev.beacon.tokens.Secret;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import dev.beacon.web.ApiError;
import dev.beacon.web.Problems;
import io.javalin.config.RoutesConfig;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the agent WebSocket ({@code GET /api/agent/ws}): authenticates the upgrade,
 * speaks the protocol of docs/agent-protocol.md, and keeps presence. Jetty calls the handlers on the
 * connection's own thread (one message at a time per connection); {@link #sweep} and
 * {@link #flushLastSeen} run on the server's scheduler; {@link #disconnect} on request threads.
 * Thread-safe.
 *
 * <p>Over 400 lines, knowingly and for now: the hardening round added the upgrade's refusal budget, the rotate-only
 * path, rotation and heartbeat limits and the re-check at {@code hello} here, beside the socket state they guard.
 * The split is planned along three seams that share only {@link AgentSocket}: the upgrade gate ({@code register}'s
 * before-handler, {@code refuse}, {@code countAndLogRefusal}), token rotation ({@code onTokenRotate}, {@code rotate},
 * {@code onTokenRotatedAck}, {@link #requestTokenRotation}) and liveness ({@link #sweep}, {@link #flushLastSeen},
 * {@link #shutdown}).
 */
public final class AgentChannel implements LiveConnections {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    static final String PATH = "/api/agent/ws";
    private static final String ROBOT_ATTRIBUTE = "beacon.robot";
    private static final String IP_ATTRIBUTE = "beacon.ip";
    /** An agent must say hello this soon after connecting, or it is closed. */
    private static final long HELLO_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Presence declares an agent gone after this many heartbeat intervals of silence. */
    static final int MISSED_HEARTBEATS = 3;
    /** Robots whose disconnection is recorded at once during shutdown. */
    private static final int SHUTDOWN_PARALLELISM = 64;
    /** A rotated token that its agent has not acknowledged (nor said hello with) stops working after this long. */
    static final Duration ROTATION_TTL = Duration.ofMinutes(2);
    /** Agent-initiated rotations ({@code token.rotate}) per robot: this many at once, then one per {@link #AGENT_ROTATION_REFILL}. */
    static final int AGENT_ROTATION_BURST = 5;
    static final Duration AGENT_ROTATION_REFILL = Duration.ofMinutes(2);
    /** Heartbeats per connection: this many at once, refilled at {@link #HEARTBEATS_PER_SECOND}; more close it with 1008. */
    static final int HEARTBEAT_BURST = 20;
    static final int HEARTBEATS_PER_SECOND = 5;
    /** WebSocket close status for a policy violation (a heartbeat flood). */
    static final int POLICY_VIOLATION = 1008;
    /** A rotate-only connection is closed this long after its upgrade; `beacon agent rotate-token` gives up after 15 s. */
    private static final long ROTATE_ONLY_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Sweeps between two clean-ups of the per-address and per-robot limiter tables. */
    private static final int SWEEPS_PER_CLEANUP = 30;

    private final RobotAuth robotAuth;
    private final RobotStore robots;
    private final PresenceStore presence;
    private final Ids ids;
    private final Clock clock;
    private final ObjectMapper json;
    /** Reads agents' frames with {@link #json}'s limits (an over-deep frame is malformed) and writes the server's. */
    private final FrameCodec frames;
    private final int heartbeatIntervalSeconds;
    /** Every open socket by Jetty session id, greeted or not. */
    private final ConcurrentHashMap<String, AgentSocket> sockets = new ConcurrentHashMap<>();
    /** The one socket that speaks for each robot (after hello). */
    private final ConcurrentHashMap<String, AgentSocket> live = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;
    private final Counter connects;
    private final Counter heartbeats;
    private final Dispatcher dispatcher;
    private final FleetEvents events;
    private final UpgradeLimiter upgrades;
    private final Counter throttled;
    private final RefusedUpgrades refusedUpgrades = new RefusedUpgrades();
    /** Agent-initiated rotations left per robot (operator rotations are not limited). */
    private final ConcurrentHashMap<String, Bucket> agentRotations = new ConcurrentHashMap<>();
    private int sweeps;
    /** Monotonic nanoseconds for silence and timeouts ({@code System::nanoTime} outside tests). */
    private final LongSupplier ticker;
    /** Set once {@link #shutdown} begins: agents told {@code bye} must reconnect elsewhere or after the restart, not here. */
    private volatile boolean shuttingDown;

    public AgentChannel(RobotAuth robotAuth, RobotStore robots, PresenceStore presence, Ids ids, Clock clock, LongSupplier ticker,
                        ObjectMapper json, int heartbeatIntervalSeconds, int connectsPerSecond, MeterRegistry metrics,
                        Dispatcher dispatcher, FleetEvents events) {
        this.upgrades = new UpgradeLimiter(connectsPerSecond);
        this.dispatcher = dispatcher;
        this.events = events;
        this.robotAuth = robotAuth;
        this.robots = robots;
        this.presence = presence;
        this.ids = ids;
        this.clock = clock;
        this.ticker = ticker;
        this.json = json;
        this.frames = new FrameCodec(json);
        this.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
        this.metrics = metrics;
        this.connects = metrics.counter("beacon.agent.connects");
        this.heartbeats = metrics.counter("beacon.agent.heartbeats");
        this.throttled = metrics.counter("beacon.agent.upgrades.refused", "code", "agent_connect_throttled");
        Gauge.builder("beacon.agents.connected", live, Map::size).description("Agents connected and greeted").register(metrics);
    }

    public void register(RoutesConfig routes) {
        routes.wsBeforeUpgrade(PATH, ctx -> {
            if (shuttingDown) {
                ctx.header("Retry-After", "1");
                refuse(ctx, new ApiError(503, "server_shutting_down", "This server is shutting down; connect again in a moment."));
            }
            String ip = ctx.ip();
            long nowNanos = ticker.getAsLong();
            // An address whose upgrades keep being refused (a token-less flood, a token guesser) is turned away before
            // its token is even looked up, until its budget refills; other addresses are not affected.
            long blocked = refusedUpgrades.secondsUntilAllowed(ip);
            if (blocked > 0) {
                ApiError limited = ApiError.rateLimited(blocked, "Too many refused agent connections from this address (limit "
                        + RefusedUpgrades.PER_MINUTE + " a minute); retry in " + blocked + " s with a valid robot token.");
                countAndLogRefusal(ip, limited.code(), nowNanos);
                refuse(ctx, limited);
            }
            RobotAuth.Authenticated authenticated;
            try {
                authenticated = robotAuth.authenticateToken(ctx.header("Authorization"));
            } catch (DomainException refused) {
                refusedUpgrades.recordRefusal(ip, nowNanos);
                countAndLogRefusal(ip, refused.code(), nowNanos);
                refuse(ctx, Problems.problem(refused));
                return;
            }
            // After the token check: the accept budget is spent on agents with a valid token only, so a flood of
            // upgrades without one cannot starve real agents. (A flood of bad tokens is held off per address above.)
            long wait = upgrades.secondsToWait();
            if (wait > 0) {
                throttled.increment(); // counted, not logged: a storm would flood the log
                ctx.header("Retry-After", Long.toString(wait));
                refuse(ctx, new ApiError(503, "agent_connect_throttled", "Too many agents are connecting at once (limit "
                        + upgrades.perSecond() + "/s); retry in " + wait + " s. Agents back off and retry on their own."));
            }
            ctx.attribute(ROBOT_ATTRIBUTE, authenticated);
            ctx.attribute(IP_ATTRIBUTE, ip);
            forgetHttpSession(ctx.req());
        });
        // A plain GET (no upgrade) gets the same token check, then a clear 426, instead of a bare 404.
        routes.get(PATH, ctx -> {
            robotAuth.authenticate(ctx.header("Authorization"));
            throw new ApiError(426, "upgrade_required", "This is the agent WebSocket: connect with a WebSocket client (Upgrade: websocket).");
        });
        routes.ws(PATH, ws -> {
            ws.onConnect(this::onConnect);
            ws.onMessage(this::onMessage);
            ws.onClose(this::onClose);
            ws.onError(ctx -> log.debug("agent socket error ({}): {}", sockets.get(ctx.sessionId()),
                    ctx.error() == null ? "unknown" : ctx.error().toString()));
        });
    }

    /** Counts a refused upgrade by code, and logs it unless a line about this address was written within the interval. */
    private void countAndLogRefusal(String ip, String code, long nowNanos) {
        metrics.counter("beacon.agent.upgrades.refused", "code", code).increment();
        long unlogged = refusedUpgrades.claimLogLine(ip, nowNanos);
        if (unlogged == 0) {
            log.info("refused agent connection from {}: {}", ip, code);
        } else if (unlogged > 0) {
            log.info("refused agent connection from {}: {} ({} more refused since the last line about this address)", ip, code, unlogged);
        }
    }

    /**
     * Ends a refused upgrade with problem JSON. Javalin does not write an exception's response body on the WebSocket
     * path, so the body is written and committed here; the exception then stops the upgrade.
     */
    private void refuse(io.javalin.http.Context ctx, ApiError error) {
        forgetHttpSession(ctx.req());
        Problems.write(ctx, json, error);
        try {
            byte[] body = ctx.result() == null ? new byte[0] : ctx.result().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ctx.res().setContentLength(body.length);
            ctx.res().getOutputStream().write(body);
            ctx.res().flushBuffer();
        } catch (java.io.IOException | RuntimeException e) {
            log.debug("could not write the refusal of an agent upgrade: {}", e.toString());
        }
        throw error;
    }

    /**
     * Javalin snapshots the upgrade request's session attributes before any handler runs, which makes the servlet
     * container create an HTTP session for every agent upgrade, accepted or refused. Agents never use it, and it would never expire: without
     * this, sessions pile up with every reconnect (about 1 KB each).
     */
    private static void forgetHttpSession(jakarta.servlet.http.HttpServletRequest request) {
        try {
            jakarta.servlet.http.HttpSession session = request.getSession(false);
            if (session != null) {
                session.invalidate();
            }
        } catch (IllegalStateException noSessionOrAlreadyInvalid) {
            // nothing to free
        }
    }

    private void onConnect(WsConnectContext ctx) {
        RobotAuth.Authenticated authenticated = ctx.attribute(ROBOT_ATTRIBUTE);
        Robot robot = authenticated.robot();
        AgentSocket socket = new AgentSocket(ids.next("ses"), robot.id(), robot.name(), robot.orgId(), ctx.attribute(IP_ATTRIBUTE),
                authenticated.tokenHash(), ctx, ticker.getAsLong(), clock.millis());
        // The upgrade request lives as long as the connection; keep only what the socket needs (about 1 KB less each).
        ctx.attribute(ROBOT_ATTRIBUTE, null);
        ctx.attribute(IP_ATTRIBUTE, null);
        sockets.put(ctx.sessionId(), socket);
        connects.increment();
    }

    private void onMessage(WsMessageContext ctx) {
        AgentSocket socket = sockets.get(ctx.sessionId());
        if (socket == null) {
            return; // closed by the server a moment ago
        }
        FrameCodec.Envelope frame;
        try {
            frame = frames.envelope(ctx.message());
        } catch (FrameException e) {
            send(socket, e.toFrame());
            return;
        }
        String type = frame.type();
        // Nothing but hello before hello. Token rotation on a connection of its own (`beacon agent rotate-token` beside
        // a running agent) says a hello with purpose rotate-token, which registers no presence and replaces no session.
        if (!socket.greeted && !socket.rotateOnly && !type.equals("hello")) {
            send(socket, new Frame.Error("hello_required", "Send 'hello' first; got '" + abbreviate(type) + "'."
                    + (type.startsWith("token.") ? " To only rotate the token, send {\"type\":\"hello\",\"purpose\":\"rotate-token\"} first." : "")));
            return;
        }
        if (socket.rotateOnly && !type.equals("hello") && !type.equals("token.rotate") && !type.equals("token.rotated.ack")) {
            send(socket, new Frame.Error("rotate_only", "This connection said hello to rotate the token only; it takes token.rotate "
                    + "and token.rotated.ack, not '" + abbreviate(type) + "'."));
            return;
        }
        switch (type) {
            case Frame.Hello.TYPE -> onHello(socket, frame);
            case Frame.Heartbeat.TYPE -> onHeartbeat(socket, frame);
            case Frame.TokenRotate.TYPE -> onTokenRotate(socket);
            case Frame.TokenRotatedAck.TYPE -> onTokenRotatedAck(socket);
            // The dispatcher still reads job frames from the tree (jobs/ moves to the records in a follow-up).
            case Frame.JobAccepted.TYPE, Frame.JobProgress.TYPE, Frame.JobResult.TYPE -> onJobFrame(socket, type, frame.body());
            default -> send(socket, new Frame.Error("unknown_frame", "Unknown frame type '" + abbreviate(type) + "'."));
        }
    }

    private void onHello(AgentSocket socket, FrameCodec.Envelope frame) {
        if (socket.greeted || socket.rotateOnly) {
            send(socket, new Frame.Error("duplicate_hello", "This connection already said hello."));
            return;
        }
        Frame.Hello said = (Frame.Hello) decoded(socket, frame);
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
            send(socket, new Frame.Welcome(socket.robotId, socket.robotName, socket.sessionId, null, Frame.Hello.ROTATE_TOKEN));
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
                socket.greeted = true;
                socket.lastHeardNanos = ticker.getAsLong();
                socket.heartbeatBudget = Bucket.builder().addLimit(Bandwidth.builder().capacity(HEARTBEAT_BURST)
                        .refillGreedy(HEARTBEATS_PER_SECOND, Duration.ofSeconds(1)).build()).build();
                previous = live.put(socket.robotId, socket);
            }
        }
        if (closedMeanwhile) {
            // Closed (revoked, removed, shut down) after the presence write but before it counted as greeted: undo it.
            presence.disconnected(socket.robotId, socket.sessionId, socket.closeReason, clock.instant());
            return;
        }
        if (previous != null && previous != socket) {
            close(previous, "replaced", false);
        }
        synchronized (socket) {
            if (socket.closeReason != null) {
                return; // closed meanwhile; ended() did the bookkeeping
            }
            send(socket, new Frame.Welcome(socket.robotId, socket.robotName, socket.sessionId, heartbeatIntervalSeconds, null));
            log.info("agent {} connected from {} (session {}, {} {})", socket.robotName, socket.ip, socket.sessionId,
                    hello.os(), hello.agentVersion());
            events.robotConnected(socket.robotId, socket.orgId, socket.sessionId, text -> send(socket, text));
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
        close(socket, reason, false);
    }

    private void onJobFrame(AgentSocket socket, String type, JsonNode frame) {
        String problem;
        try {
            problem = dispatcher.onAgentFrame(socket.robotId, socket.orgId, socket.sessionId, type, frame);
        } catch (RuntimeException e) {
            log.warn("could not handle {} from agent {}", type, socket.robotName, e);
            problem = "The server could not record this frame; it will be reconciled.";
        }
        if (problem != null) {
            send(socket, new Frame.Error("invalid_job_frame", problem));
        }
    }

    private void onHeartbeat(AgentSocket socket, FrameCodec.Envelope frame) {
        if (!socket.heartbeatBudget.tryConsume(1)) {
            send(socket, new Frame.Error("too_many_heartbeats", "More than " + HEARTBEATS_PER_SECOND
                    + " heartbeats a second; an agent sends one per heartbeat_interval_s. Closing."));
            close(socket, "too_many_heartbeats", true, POLICY_VIOLATION);
            return;
        }
        socket.lastHeardNanos = ticker.getAsLong();
        socket.lastSeenMillis = clock.millis();
        heartbeats.increment();
        Frame.Heartbeat beat = (Frame.Heartbeat) decoded(socket, frame);
        if (beat == null) {
            return;
        }
        String sentAt = beat.sentAt();
        send(socket, new Frame.HeartbeatAck(sentAt != null && sentAt.length() <= 64 ? sentAt : null));
    }

    /** {@code token.rotate} from the agent: rate-limited per robot, then minted like any rotation. */
    private void onTokenRotate(AgentSocket socket) {
        Bucket budget = agentRotations.computeIfAbsent(socket.robotId, robot -> Bucket.builder().addLimit(Bandwidth.builder()
                .capacity(AGENT_ROTATION_BURST).refillGreedy(1, AGENT_ROTATION_REFILL).build()).build());
        ConsumptionProbe probe = budget.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(probe.getNanosToWaitForRefill()) + 1);
            metrics.counter("beacon.agent.token.rotations", "outcome", "rate_limited").increment();
            send(socket, new Frame.Error("rotation_rate_limited", "At most " + AGENT_ROTATION_BURST + " token rotations at once, then one every "
                    + AGENT_ROTATION_REFILL.toMinutes() + " minutes per robot; retry in " + seconds + " s."));
            return;
        }
        if (rotate(socket, socket.tokenHash) instanceof RobotStore.Rotation.Pending pending) {
            send(socket, new Frame.Error("rotation_pending", "A token rotation of this robot awaits its acknowledgement (until "
                    + pending.until() + "); acknowledge it, or retry after that."));
        }
    }

    /**
     * Mints a rotated token and sends it on {@code socket}. {@code presentedHash} is the asking connection's token
     * (null for an operator's rotation). A robot revoked or removed meanwhile gets its socket closed with that reason.
     */
    private RobotStore.Rotation rotate(AgentSocket socket, String presentedHash) {
        RobotStore.Rotation rotation = robots.rotate(socket.robotId, presentedHash, ids.next("rtk"), clock.instant(), ROTATION_TTL);
        switch (rotation) {
            case RobotStore.Rotation.Minted minted -> {
                socket.pendingTokenHash = minted.token().hash();
                send(socket, new Frame.TokenRotated(minted.token().value()));
                metrics.counter("beacon.agent.token.rotations", "outcome", "minted").increment();
                log.info("agent {} was sent a new token ({})", socket.robotName, minted.token().masked());
            }
            case RobotStore.Rotation.Pending pending ->
                    metrics.counter("beacon.agent.token.rotations", "outcome", "pending").increment();
            case RobotStore.Rotation.Refused refused -> {
                metrics.counter("beacon.agent.token.rotations", "outcome", refused.reason()).increment();
                close(socket, refused.reason(), false);
            }
        }
        return rotation;
    }

    private void onTokenRotatedAck(AgentSocket socket) {
        String newHash = socket.pendingTokenHash;
        if (newHash == null) {
            send(socket, new Frame.Error("unexpected_ack", "No token rotation is pending on this connection."));
            return;
        }
        // Only now, with the new token saved on the agent, does the old one stop working.
        int revoked = robots.acknowledgeRotation(socket.robotId, newHash, clock.instant());
        socket.pendingTokenHash = null;
        if (revoked < 0) {
            send(socket, new Frame.Error("rotation_expired", "The new token expired (" + ROTATION_TTL.toSeconds()
                    + " s after it was sent) or was revoked before this acknowledgement; it does not work. Rotate again."));
            log.warn("agent {} acknowledged a token that had expired or was revoked", socket.robotName);
            return;
        }
        socket.tokenHash = newHash;
        log.info("agent {} saved its new token; {} old {} revoked", socket.robotName, revoked, revoked == 1 ? "token" : "tokens");
    }

    /**
     * Asks a connected robot's agent to take a new token (the server side of {@code rotate-token}). Operator
     * rotations are not rate-limited, but like every rotation wait for an outstanding one to be acknowledged.
     */
    @Override
    public RotationRequest requestTokenRotation(String robotId) {
        AgentSocket socket = live.get(robotId);
        if (socket == null) {
            return RotationRequest.OFFLINE;
        }
        return switch (rotate(socket, null)) {
            case RobotStore.Rotation.Minted minted -> RotationRequest.SENT;
            case RobotStore.Rotation.Pending pending -> RotationRequest.PENDING;
            case RobotStore.Rotation.Refused refused -> RotationRequest.OFFLINE;
        };
    }

    private void onClose(WsCloseContext ctx) {
        AgentSocket socket = sockets.remove(ctx.sessionId());
        if (socket == null) {
            return;
        }
        String reason;
        synchronized (socket) {
            if (socket.closeReason == null) {
                socket.closeReason = "closed (" + ctx.status() + ")";
            }
            reason = socket.closeReason;
        }
        ended(socket, reason);
    }

    /** Forgets a socket and marks its robot offline, unless a newer session speaks for it. */
    private void ended(AgentSocket socket, String reason) {
        boolean wasLive = live.remove(socket.robotId, socket);
        if (socket.greeted) {
            boolean changed = presence.disconnected(socket.robotId, socket.sessionId, reason, clock.instant());
            // After presence: the robot row no longer names this session, so no new job can be assigned to it.
            events.robotGone(socket.robotId, socket.sessionId, reason);
            metrics.counter("beacon.agent.disconnects", "reason", reason.startsWith("closed") ? "closed" : reason).increment();
            if (wasLive || changed) {
                log.info("agent {} disconnected: {} (session {})", socket.robotName, reason, socket.sessionId);
            }
        }
    }

    /** Closes a socket from the server side with a {@code bye} and marks the robot offline now. */
    private void close(AgentSocket socket, String reason, boolean silentPeer) {
        close(socket, reason, silentPeer, 1000);
    }

    /** Like {@link #close(AgentSocket, String, boolean)} with a WebSocket close status; a second close does nothing. */
    private void close(AgentSocket socket, String reason, boolean silentPeer, int status) {
        synchronized (socket) {
            if (socket.closeReason != null) {
                return;
            }
            socket.closeReason = reason;
        }
        if (!silentPeer) {
            send(socket, new Frame.Bye(reason));
        }
        sockets.remove(socket.ws.sessionId());
        ended(socket, reason);
        try {
            socket.ws.closeSession(status, reason);
        } catch (RuntimeException e) {
            log.debug("closing {} failed: {}", socket, e.toString());
        }
    }

    /** Closes every live connection of these robots with {@code bye: reason} ({@code revoked} or {@code removed}). */
    public void disconnect(Collection<String> robotIds, String reason) {
        for (String robotId : robotIds) {
            for (AgentSocket socket : sockets.values()) {
                if (socket.robotId.equals(robotId)) {
                    close(socket, reason, false);
                }
            }
        }
    }

    /**
     * Closes sockets that never said hello in time and declares robots offline whose heartbeats stopped for
     * {@value #MISSED_HEARTBEATS} intervals (a peer that vanished without a close frame). Run every second.
     */
    public void sweep() {
        long now = ticker.getAsLong();
        long silenceLimit = TimeUnit.SECONDS.toNanos((long) heartbeatIntervalSeconds * MISSED_HEARTBEATS);
        if (++sweeps % SWEEPS_PER_CLEANUP == 0) {
            refusedUpgrades.forgetQuiet(now);
            agentRotations.values().removeIf(budget -> budget.getAvailableTokens() >= AGENT_ROTATION_BURST);
        }
        for (AgentSocket socket : sockets.values()) {
            long silent = now - socket.lastHeardNanos;
            if (socket.rotateOnly && silent > ROTATE_ONLY_LIFETIME_NANOS) {
                send(socket, new Frame.Error("rotate_only_timeout", "A rotate-only connection lasts 30 s; closing."));
                close(socket, "rotate_only_timeout", true);
            } else if (!socket.greeted && !socket.rotateOnly && silent > HELLO_TIMEOUT_NANOS) {
                send(socket, new Frame.Error("hello_timeout", "No hello within 10 s; closing."));
                close(socket, "hello_timeout", true);
            } else if (socket.greeted && silent > silenceLimit) {
                close(socket, "heartbeat_timeout", true);
            }
        }
    }

    /** Writes the newest heartbeat time of every live robot in one batch; run about twice per interval. */
    public void flushLastSeen() {
        Map<String, Long> batch = new HashMap<>();
        for (AgentSocket socket : live.values()) {
            batch.put(socket.robotId, socket.lastSeenMillis);
        }
        try {
            presence.touch(batch);
        } catch (RuntimeException e) {
            log.warn("could not write last_seen_at for {} {}; will retry", batch.size(), batch.size() == 1 ? "robot" : "robots", e);
        }
    }

    /**
     * Says {@code bye: shutdown} to every agent, so they reconnect (to this server restarted, or another node), then
     * marks their robots offline and settles the jobs they held. The byes go out first, all of them, so no agent
     * waits for the bookkeeping; the bookkeeping runs {@value #SHUTDOWN_PARALLELISM} robots at a time, so their
     * presence writes share group commits: one robot after another took over two minutes for 19,000 agents.
     */
    public void shutdown() {
        shuttingDown = true;
        java.util.List<AgentSocket> all = new java.util.ArrayList<>(sockets.values());
        for (AgentSocket socket : all) {
            synchronized (socket) {
                socket.closeReason = "shutdown";
            }
            send(socket, new Frame.Bye("shutdown"));
            sockets.remove(socket.ws.sessionId());
            try {
                socket.ws.closeSession(1000, "shutdown");
            } catch (RuntimeException e) {
                log.debug("closing {} failed: {}", socket, e.toString());
            }
        }
        java.util.concurrent.Semaphore running = new java.util.concurrent.Semaphore(SHUTDOWN_PARALLELISM);
        try (var bookkeeping = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (AgentSocket socket : all) {
                running.acquire();
                bookkeeping.submit(() -> {
                    try {
                        ended(socket, "shutdown");
                    } catch (RuntimeException e) {
                        log.warn("could not record that agent {} went away at shutdown", socket.robotName, e);
                    } finally {
                        running.release();
                    }
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the rest is left to the next start, which marks stale robots offline
        }
    }

    /** The frame an envelope holds, or null after answering with the {@code error} that says what is wrong with it. */
    private Frame decoded(AgentSocket socket, FrameCodec.Envelope envelope) {
        try {
            return frames.decode(envelope);
        } catch (FrameException e) {
            send(socket, e.toFrame());
            return null;
        }
    }

    private void send(AgentSocket socket, Frame frame) {
        send(socket, frames.write(frame));
    }

    private void send(AgentSocket socket, String text) {
        WsContext ws = socket.ws;
        try {
            if (ws.session.isOpen()) {
                ws.send(text);
            }
        } catch (RuntimeException e) {
            log.debug("could not send to {}: {}", socket, e.toString());
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
