package dev.beacon.agentchannel;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.jobs.Dispatcher;
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
import io.javalin.config.RoutesConfig;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the agent WebSocket ({@code GET /api/agent/ws}): authenticates the upgrade,
 * speaks the protocol of docs/agent-protocol.md, and keeps presence. Jetty calls the handlers on the
 * connection's own thread (one message at a time per connection); {@link #sweep} and
 * {@link #flushLastSeen} run on the server's scheduler; {@link #disconnect} on request threads.
 * Thread-safe.
 */
public final class AgentChannel implements LiveConnections {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    static final String PATH = "/api/agent/ws";
    private static final String ROBOT_ATTRIBUTE = "beacon.robot";
    private static final String IP_ATTRIBUTE = "beacon.ip";
    /** An agent must say hello this soon after connecting, or it is closed. */
    private static final long HELLO_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Presence declares an agent gone after this many heartbeat intervals of silence (SPEC §5). */
    static final int MISSED_HEARTBEATS = 3;
    /** Robots whose disconnection is recorded at once during shutdown. */
    private static final int SHUTDOWN_PARALLELISM = 64;

    private final RobotAuth robotAuth;
    private final RobotStore robots;
    private final PresenceStore presence;
    private final Ids ids;
    private final Clock clock;
    private final ObjectMapper json;
    private final Frames frames;
    private final int heartbeatIntervalSeconds;
    /** Every open socket by Jetty session id, greeted or not. */
    private final ConcurrentHashMap<String, AgentSocket> sockets = new ConcurrentHashMap<>();
    /** The one socket that speaks for each robot (after hello). */
    private final ConcurrentHashMap<String, AgentSocket> live = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;
    private final Counter connects;
    private final Counter heartbeats;
    private final Dispatcher dispatcher;
    private final UpgradeLimiter upgrades;
    private final Counter throttled;
    /** Set once {@link #shutdown} begins: agents told {@code bye} must reconnect elsewhere or after the restart, not here. */
    private volatile boolean shuttingDown;

    public AgentChannel(RobotAuth robotAuth, RobotStore robots, PresenceStore presence, Ids ids, Clock clock, ObjectMapper json,
                        int heartbeatIntervalSeconds, int connectsPerSecond, MeterRegistry metrics, Dispatcher dispatcher) {
        this.upgrades = new UpgradeLimiter(connectsPerSecond);
        this.dispatcher = dispatcher;
        this.robotAuth = robotAuth;
        this.robots = robots;
        this.presence = presence;
        this.ids = ids;
        this.clock = clock;
        this.json = json;
        this.frames = new Frames(json);
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
            // Before the token lookup: a reconnect storm must not reach the database faster than the limit.
            long wait = upgrades.secondsToWait();
            if (wait > 0) {
                throttled.increment(); // counted, not logged: a storm would flood the log
                ctx.header("Retry-After", Long.toString(wait));
                refuse(ctx, new ApiError(503, "agent_connect_throttled", "Too many agents are connecting at once (limit "
                        + upgrades.perSecond() + "/s); retry in " + wait + " s. Agents back off and retry on their own."));
            }
            try {
                Robot robot = robotAuth.authenticate(ctx.header("Authorization"));
                ctx.attribute(ROBOT_ATTRIBUTE, robot);
                ctx.attribute(IP_ATTRIBUTE, ctx.ip());
                forgetHttpSession(ctx.req());
            } catch (ApiError refused) {
                metrics.counter("beacon.agent.upgrades.refused", "code", refused.code()).increment();
                log.info("refused agent connection from {}: {}", ctx.ip(), refused.code());
                refuse(ctx, refused);
            }
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

    /**
     * Ends a refused upgrade with problem JSON. Javalin does not write an exception's response body on the WebSocket
     * path, so the body is written and committed here; the exception then stops the upgrade.
     */
    private void refuse(io.javalin.http.Context ctx, ApiError error) {
        forgetHttpSession(ctx.req());
        dev.beacon.web.Problems.write(ctx, json, error);
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
        Robot robot = ctx.attribute(ROBOT_ATTRIBUTE);
        AgentSocket socket = new AgentSocket(ids.next("ses"), robot.id(), robot.name(), robot.orgId(), ctx.attribute(IP_ATTRIBUTE), ctx,
                System.nanoTime(), clock.millis());
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
        JsonNode frame;
        try {
            frame = json.readTree(ctx.message());
        } catch (JacksonException e) {
            send(socket, frames.error("malformed_frame", "Frames are JSON objects with a 'type'; this one is not valid JSON."));
            return;
        }
        String type = frame != null && frame.isObject() && frame.path("type").isTextual() ? frame.get("type").asText() : "";
        if (type.isEmpty()) {
            send(socket, frames.error("malformed_frame", "Frames are JSON objects with a string 'type'."));
            return;
        }
        // Token rotation may run on a connection of its own (`beacon agent rotate-token` beside a running
        // agent); it must not say hello, or it would replace the running agent's session.
        if (!socket.greeted && !type.equals("hello") && !type.startsWith("token.rotate")) {
            send(socket, frames.error("hello_required", "Send 'hello' first; got '" + abbreviate(type) + "'."));
            return;
        }
        switch (type) {
            case "hello" -> onHello(socket, frame);
            case "heartbeat" -> onHeartbeat(socket, frame);
            case "token.rotate" -> rotateToken(socket);
            case "token.rotated.ack" -> onTokenRotatedAck(socket);
            case "job.accepted", "job.progress", "job.result" -> onJobFrame(socket, type, frame);
            default -> send(socket, frames.error("unknown_frame", "Unknown frame type '" + abbreviate(type) + "'."));
        }
    }

    private void onHello(AgentSocket socket, JsonNode frame) {
        if (socket.greeted) {
            send(socket, frames.error("duplicate_hello", "This connection already said hello."));
            return;
        }
        PresenceStore.Hello hello = HelloFrame.parse(frame);
        if (hello == null) {
            send(socket, frames.error("invalid_hello", HelloFrame.RULES));
            return;
        }
        socket.greeted = true;
        socket.lastHeardNanos = System.nanoTime();
        AgentSocket previous = live.put(socket.robotId, socket);
        if (previous != null && previous != socket) {
            close(previous, "replaced", false);
        }
        presence.connected(socket.robotId, socket.sessionId, socket.ip, hello, clock.instant());
        send(socket, frames.welcome(socket.robotId, socket.robotName, socket.sessionId, heartbeatIntervalSeconds));
        log.info("agent {} connected from {} (session {}, {} {})", socket.robotName, socket.ip, socket.sessionId,
                hello.os(), hello.agentVersion());
        dispatcher.robotGreeted(socket.robotId, socket.orgId, socket.sessionId, text -> send(socket, text));
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
            send(socket, frames.error("invalid_job_frame", problem));
        }
    }

    private void onHeartbeat(AgentSocket socket, JsonNode frame) {
        socket.lastHeardNanos = System.nanoTime();
        socket.lastSeenMillis = clock.millis();
        heartbeats.increment();
        JsonNode sentAt = frame.get("sent_at");
        send(socket, frames.heartbeatAck(sentAt != null && sentAt.isTextual() && sentAt.asText().length() <= 64 ? sentAt.asText() : null));
    }

    private void rotateToken(AgentSocket socket) {
        Secret token = TokenFormat.generate(TokenKind.ROBOT);
        robots.addToken(socket.robotId, ids.next("rtk"), token, clock.instant());
        socket.pendingTokenHash = token.hash();
        send(socket, frames.tokenRotated(token.value()));
        log.info("agent {} was sent a new token ({})", socket.robotName, token.masked());
    }

    private void onTokenRotatedAck(AgentSocket socket) {
        String newHash = socket.pendingTokenHash;
        if (newHash == null) {
            send(socket, frames.error("unexpected_ack", "No token rotation is pending on this connection."));
            return;
        }
        // Only now, with the new token saved on the agent, does the old one stop working.
        int revoked = robots.revokeTokensExcept(socket.robotId, newHash, clock.instant());
        socket.pendingTokenHash = null;
        log.info("agent {} saved its new token; {} old token(s) revoked", socket.robotName, revoked);
    }

    /**
     * Asks a connected robot's agent to take a new token (the server side of {@code rotate-token}).
     * Returns false when the robot has no live connection.
     */
    @Override
    public boolean requestTokenRotation(String robotId) {
        AgentSocket socket = live.get(robotId);
        if (socket == null) {
            return false;
        }
        rotateToken(socket);
        return true;
    }

    private void onClose(WsCloseContext ctx) {
        AgentSocket socket = sockets.remove(ctx.sessionId());
        if (socket == null) {
            return;
        }
        String reason = socket.closeReason != null ? socket.closeReason : "closed (" + ctx.status() + ")";
        ended(socket, reason);
    }

    /** Forgets a socket and marks its robot offline, unless a newer session speaks for it. */
    private void ended(AgentSocket socket, String reason) {
        boolean wasLive = live.remove(socket.robotId, socket);
        if (socket.greeted) {
            boolean changed = presence.disconnected(socket.robotId, socket.sessionId, reason, clock.instant());
            // After presence: the robot row no longer names this session, so no new job can be assigned to it.
            dispatcher.robotGone(socket.robotId, socket.sessionId, reason);
            metrics.counter("beacon.agent.disconnects", "reason", reason.startsWith("closed") ? "closed" : reason).increment();
            if (wasLive || changed) {
                log.info("agent {} disconnected: {} (session {})", socket.robotName, reason, socket.sessionId);
            }
        }
    }

    /** Closes a socket from the server side with a {@code bye} and marks the robot offline now. */
    private void close(AgentSocket socket, String reason, boolean silentPeer) {
        socket.closeReason = reason;
        if (!silentPeer) {
            send(socket, frames.bye(reason));
        }
        sockets.remove(socket.ws.sessionId());
        ended(socket, reason);
        try {
            socket.ws.closeSession(1000, reason);
        } catch (RuntimeException e) {
            log.debug("closing {} failed: {}", socket, e.toString());
        }
    }

    /** Closes every live connection of these robots with {@code bye: reason} ({@code revoked} or {@code removed}). */
    @Override
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
        long now = System.nanoTime();
        long silenceLimit = TimeUnit.SECONDS.toNanos((long) heartbeatIntervalSeconds * MISSED_HEARTBEATS);
        for (AgentSocket socket : sockets.values()) {
            long silent = now - socket.lastHeardNanos;
            if (!socket.greeted && silent > HELLO_TIMEOUT_NANOS) {
                send(socket, frames.error("hello_timeout", "No hello within 10 s; closing."));
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
            socket.closeReason = "shutdown";
            send(socket, frames.bye("shutdown"));
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
