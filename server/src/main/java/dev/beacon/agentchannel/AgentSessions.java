package dev.beacon.agentchannel;

import dev.beacon.jobs.Dispatcher;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.PresenceStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open agent sockets of this server and the one greeted socket that speaks for each robot; the only place that
 * writes frames to a socket and the only place that closes one, recording the end of the robot's presence when it
 * does. The other parts of the channel ({@link UpgradeGate}, {@link TokenRotation}, {@link Liveness}) share their
 * sockets through it. Used from connection threads (frames, closes), request threads ({@link #disconnect},
 * operator rotations) and the server's scheduler (sweeps, shutdown). Thread-safe: the maps are concurrent, and a
 * socket's close is decided under the socket's monitor, so it happens once.
 *
 * <p>Logs as {@code AgentChannel}, like every part of the channel: docs/agent-protocol.md lists the server's lines
 * under that logger.
 */
final class AgentSessions {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);

    private final PresenceStore presence;
    private final FleetEvents events;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final FrameCodec frames;
    /** Every open socket by its session id, greeted or not. */
    private final ConcurrentHashMap<String, AgentSocket> sockets = new ConcurrentHashMap<>();
    /** The one socket that speaks for each robot (after hello). */
    private final ConcurrentHashMap<String, AgentSocket> live = new ConcurrentHashMap<>();
    /** Ends of greeted sockets that the database could not take yet; see {@link #record}. */
    private final ConcurrentLinkedQueue<Ended> unwritten = new ConcurrentLinkedQueue<>();

    AgentSessions(PresenceStore presence, FleetEvents events, Clock clock, MeterRegistry metrics, FrameCodec frames) {
        this.presence = presence;
        this.events = events;
        this.clock = clock;
        this.metrics = metrics;
        this.frames = frames;
        Gauge.builder("beacon.agents.connected", live, Map::size).description("Agents connected and greeted").register(metrics);
    }

    /** Registers a socket just upgraded. */
    void opened(AgentSocket socket) {
        sockets.put(socket.sessionId, socket);
    }

    /** Whether the socket is still open as far as the server knows (neither side has closed it). */
    boolean isOpen(AgentSocket socket) {
        return sockets.get(socket.sessionId) == socket;
    }

    /** Every open socket, greeted or not (a live view). */
    Collection<AgentSocket> all() {
        return sockets.values();
    }

    /** The greeted socket that speaks for each robot (a live view). */
    Collection<AgentSocket> greeted() {
        return live.values();
    }

    /** The greeted socket that speaks for a robot, or null. */
    AgentSocket speakingFor(String robotId) {
        return live.get(robotId);
    }

    /**
     * Makes a socket that said hello the one that speaks for its robot; returns the socket it replaces, or null. The
     * caller holds the socket's monitor and has seen it is not closed, so a close racing the hello sees it greeted.
     */
    AgentSocket speakFor(AgentSocket socket) {
        socket.greeted = true;
        return live.put(socket.robotId, socket);
    }

    /** The connection ended (the agent closed it, or the network did): forget the socket and record its end. */
    void closedByPeer(AgentSocket socket, int status) {
        if (!sockets.remove(socket.sessionId, socket)) {
            return; // closed by the server, which recorded the end
        }
        String reason;
        synchronized (socket) {
            if (socket.closeReason == null) {
                socket.closeReason = "closed (" + status + ")";
            }
            reason = socket.closeReason;
        }
        ended(socket, reason);
    }

    /** Forgets a socket and marks its robot offline, unless a newer session speaks for it. */
    private void ended(AgentSocket socket, String reason) {
        boolean wasLive = live.remove(socket.robotId, socket);
        if (socket.greeted) {
            record(new Ended(socket, reason, wasLive));
        }
    }

    /** A greeted socket's end, kept until it is written. */
    private record Ended(AgentSocket socket, String reason, boolean wasLive) {
    }

    /**
     * Writes a socket's end: the robot offline, then its session's jobs settled. When the database cannot take it (a
     * restart, a full pool), the end is kept and written again by {@link #recordUnwritten} at the next sweep, so that
     * the robot does not stay online under a session that is gone, and its jobs are settled before their timeout.
     */
    private void record(Ended end) {
        AgentSocket socket = end.socket();
        boolean changed;
        try {
            changed = presence.disconnected(socket.robotId, socket.sessionId, end.reason(), clock.instant());
        } catch (RuntimeException e) {
            log.warn("could not record that agent {} went away ({}); will retry: {}", socket.robotName, end.reason(), e.toString());
            unwritten.add(end);
            return;
        }
        // After presence: the robot row no longer names this session, so no new job can be assigned to it.
        events.robotGone(socket.robotId, socket.sessionId, end.reason());
        metrics.counter("beacon.agent.disconnects", "reason", end.reason().startsWith("closed") ? "closed" : end.reason()).increment();
        if (end.wasLive() || changed) {
            log.info("agent {} disconnected: {} (session {})", socket.robotName, end.reason(), socket.sessionId);
        }
    }

    /** Writes the ends that could not be written before (each write is guarded by its session id); run by the sweep. */
    void recordUnwritten() {
        for (int pending = unwritten.size(); pending > 0; pending--) {
            Ended end = unwritten.poll();
            if (end == null) {
                return;
            }
            record(end);
        }
    }

    /** Closes a socket from the server side with a {@code bye} and marks the robot offline now. */
    void close(AgentSocket socket, String reason, boolean silentPeer) {
        close(socket, reason, silentPeer, 1000);
    }

    /** Like {@link #close(AgentSocket, String, boolean)} with a WebSocket close status; a second close does nothing. */
    void close(AgentSocket socket, String reason, boolean silentPeer, int status) {
        synchronized (socket) {
            if (socket.closeReason != null) {
                return;
            }
            socket.closeReason = reason;
        }
        if (!silentPeer) {
            send(socket, new Frame.Bye(reason));
        }
        sockets.remove(socket.sessionId, socket);
        ended(socket, reason);
        try {
            socket.session.close(status, reason, Callback.NOOP);
        } catch (RuntimeException e) {
            log.debug("closing {} failed: {}", socket, e.toString());
        }
    }

    /** Closes every live connection of these robots with {@code bye: reason} ({@code revoked} or {@code removed}). */
    void disconnect(Collection<String> robotIds, String reason) {
        for (String robotId : robotIds) {
            for (AgentSocket socket : sockets.values()) {
                if (socket.robotId.equals(robotId)) {
                    close(socket, reason, false);
                }
            }
        }
    }

    /**
     * Closes every socket with {@code bye: shutdown} while this server keeps running, so that every agent connects
     * again (close status 1012, service restart): for a node that rejoined the cluster under a new id.
     */
    void reconnectAll() {
        for (AgentSocket socket : new ArrayList<>(sockets.values())) {
            close(socket, "shutdown", false, 1012);
        }
    }

    /**
     * The robot's agent said hello on another server node in {@code sessionId}: its greeted socket here closes with
     * {@code bye: replaced}, like an older connection replaced on this node, if the robot's row names another session
     * as live. The row decides, not the signal: a signal about an older hello elsewhere that arrives after a newer
     * hello here must not close the newer socket.
     */
    void replacedElsewhere(String robotId, String sessionId) {
        AgentSocket socket = live.get(robotId);
        if (socket == null || socket.sessionId.equals(sessionId)) {
            return;
        }
        String liveSession = presence.liveSession(robotId);
        if (liveSession != null && !liveSession.equals(socket.sessionId)) {
            close(socket, "replaced", false);
        }
    }

    /**
     * Says {@code bye: shutdown} to every agent, then records all their ends at once: the robots offline and their
     * connection rows closed in one transaction, then the jobs they held settled with the reason
     * {@link Dispatcher#SHUTDOWN} (each goes back to the queue with its attempt given back), found a few hundred
     * sessions per read. The byes go out first, all of them, so no agent waits for the bookkeeping. Written robot by
     * robot, 19,000 departures took 21 s, and agents told {@code bye} were refused by this server all that time. If the
     * database cannot take the write, the next start marks this node's robots offline and settles their jobs.
     */
    void closeAllForShutdown() {
        List<AgentSocket> all = new ArrayList<>(sockets.values());
        String bye = frames.write(new Frame.Bye(Dispatcher.SHUTDOWN));
        for (AgentSocket socket : all) {
            synchronized (socket) {
                socket.closeReason = Dispatcher.SHUTDOWN;
            }
            send(socket, bye);
            sockets.remove(socket.sessionId, socket);
            try {
                socket.session.close(1000, Dispatcher.SHUTDOWN, Callback.NOOP);
            } catch (RuntimeException e) {
                log.debug("closing {} failed: {}", socket, e.toString());
            }
        }
        Map<String, String> sessionByRobot = new HashMap<>();
        List<AgentSocket> alsoGreeted = new ArrayList<>(); // a robot's older socket whose replacement was not closed yet
        for (AgentSocket socket : all) {
            live.remove(socket.robotId, socket);
            if (socket.greeted && sessionByRobot.putIfAbsent(socket.robotId, socket.sessionId) != null) {
                alsoGreeted.add(socket);
            }
        }
        try {
            int offline = presence.disconnected(sessionByRobot, Dispatcher.SHUTDOWN, clock.instant());
            log.info("{} agents disconnected: shutdown ({} robots marked offline)", sessionByRobot.size(), offline);
        } catch (RuntimeException e) {
            log.warn("could not record that {} agents went away at shutdown; the next start will", sessionByRobot.size(), e);
        }
        events.robotsGone(sessionByRobot, Dispatcher.SHUTDOWN);
        metrics.counter("beacon.agent.disconnects", "reason", Dispatcher.SHUTDOWN).increment(sessionByRobot.size());
        alsoGreeted.forEach(socket -> record(new Ended(socket, Dispatcher.SHUTDOWN, false)));
    }

    /** The frame an envelope holds, or null after answering with the {@code error} that says what is wrong with it. */
    Frame decoded(AgentSocket socket, FrameCodec.Envelope envelope) {
        try {
            return frames.decode(envelope);
        } catch (FrameException e) {
            send(socket, e.toFrame());
            return null;
        }
    }

    void send(AgentSocket socket, Frame frame) {
        send(socket, frames.write(frame));
    }

    /**
     * Sends a text frame without waiting for it to be written (Jetty queues it behind the connection's earlier frames);
     * dropped when the socket is closed (its end is recorded separately).
     */
    void send(AgentSocket socket, String text) {
        CoreSession session = socket.session;
        try {
            if (session.isOutputOpen()) {
                session.sendFrame(new org.eclipse.jetty.websocket.core.Frame(OpCode.TEXT).setPayload(text), Callback.NOOP, false);
            }
        } catch (RuntimeException e) {
            log.debug("could not send to {}: {}", socket, e.toString());
        }
    }
}
