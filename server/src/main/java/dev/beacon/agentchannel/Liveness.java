package dev.beacon.agentchannel;

import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.robots.PresenceStore;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether each agent connection is still alive: answers heartbeats (at most {@value #HEARTBEATS_PER_SECOND} a second
 * after a burst of {@value #HEARTBEAT_BURST}; a flood closes the connection with {@value #POLICY_VIOLATION}), closes
 * connections that never said hello, outstayed a rotate-only visit or stopped sending heartbeats, and writes every
 * live robot's newest heartbeat time in one batch (no database write per heartbeat). Heartbeats arrive on the
 * connection's thread; {@link #sweep} and {@link #flushLastSeen} run on the server's scheduler. Thread-safe: what it
 * keeps per connection lives in the {@link AgentSocket}'s volatile fields.
 */
final class Liveness {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    /** An agent must say hello this soon after connecting, or it is closed. */
    static final long HELLO_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Presence declares an agent gone after this many heartbeat intervals of silence. */
    static final int MISSED_HEARTBEATS = 3;
    /** Heartbeats per connection: this many at once, refilled at {@link #HEARTBEATS_PER_SECOND}; more close it with 1008. */
    static final int HEARTBEAT_BURST = 20;
    static final int HEARTBEATS_PER_SECOND = 5;
    /** The limit every connection's budget applies: immutable, so one is shared by all of them. */
    private static final Bandwidth HEARTBEAT_LIMIT = Bandwidth.builder().capacity(HEARTBEAT_BURST)
            .refillGreedy(HEARTBEATS_PER_SECOND, Duration.ofSeconds(1)).build();
    /** WebSocket close status for a policy violation (a heartbeat flood). */
    static final int POLICY_VIOLATION = 1008;
    /** A rotate-only connection is closed this long after its upgrade; `beacon agent rotate-token` gives up after 15 s. */
    static final long ROTATE_ONLY_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** What a sweep does with one connection. */
    enum Verdict {
        KEEP,
        /** A rotate-only connection lived its 30 s. */
        ROTATE_ONLY_TIMEOUT,
        /** No hello within 10 s of the upgrade. */
        HELLO_TIMEOUT,
        /** A greeted connection sent no heartbeat for {@value #MISSED_HEARTBEATS} intervals. */
        HEARTBEAT_TIMEOUT
    }

    private final AgentSessions sessions;
    private final PresenceStore presence;
    private final Clock clock;
    private final LongSupplier ticker;
    private final TimeMeter budgetTime;
    private final long silenceLimitNanos;
    private final Counter heartbeats;
    private final FrameCodec frames;
    /**
     * The heartbeat time each greeted socket had when {@link #flushLastSeen} last wrote it, so that a flush writes
     * only the robots heard since. Only the flush touches it, under this object's monitor.
     */
    private Map<AgentSocket, Long> flushed = new IdentityHashMap<>();

    /**
     * @param ticker     monotonic nanoseconds for silence and timeouts ({@code System::nanoTime} outside tests)
     * @param budgetTime the time heartbeat budgets refill by ({@link TimeMeter#SYSTEM_MILLISECONDS} outside tests)
     */
    Liveness(AgentSessions sessions, PresenceStore presence, Clock clock, LongSupplier ticker, TimeMeter budgetTime,
             int heartbeatIntervalSeconds, MeterRegistry metrics, FrameCodec frames) {
        this.sessions = sessions;
        this.frames = frames;
        this.presence = presence;
        this.clock = clock;
        this.ticker = ticker;
        this.budgetTime = budgetTime;
        this.silenceLimitNanos = TimeUnit.SECONDS.toNanos((long) heartbeatIntervalSeconds * MISSED_HEARTBEATS);
        this.heartbeats = metrics.counter("beacon.agent.heartbeats");
    }

    /** A fresh heartbeat budget for one connection. */
    static Bucket heartbeatBudget(TimeMeter time) {
        return Bucket.builder().withCustomTimePrecision(time).addLimit(HEARTBEAT_LIMIT).build();
    }

    /** A connection said hello: its silence counts from now, and its heartbeats are budgeted. Under the socket's monitor. */
    void greeted(AgentSocket socket) {
        socket.lastHeardNanos = ticker.getAsLong();
        socket.heartbeatBudget = heartbeatBudget(budgetTime);
    }

    /** A {@code heartbeat} on a greeted connection, read by the full codec: see {@link #onHeartbeat(AgentSocket, Frame.Heartbeat)}. */
    void onHeartbeat(AgentSocket socket, FrameCodec.Envelope frame) {
        Frame.Heartbeat beat = (Frame.Heartbeat) sessions.decoded(socket, frame);
        if (beat != null) {
            onHeartbeat(socket, beat);
        }
    }

    /**
     * A {@code heartbeat} on a greeted connection: noted and acknowledged (the ack written as text without a tree), or
     * the connection closed for flooding. Nothing here touches the database: {@link #flushLastSeen} writes the times.
     */
    void onHeartbeat(AgentSocket socket, Frame.Heartbeat beat) {
        if (!acknowledge(socket, beat)) {
            sessions.send(socket, new Frame.Error("too_many_heartbeats", "More than " + HEARTBEATS_PER_SECOND
                    + " heartbeats a second; an agent sends one per heartbeat_interval_s. Closing."));
            sessions.close(socket, "too_many_heartbeats", true, POLICY_VIOLATION);
        }
    }

    /**
     * A heartbeat within the connection's budget noted and acknowledged, or false (nothing done) when it is over the
     * budget. Never waits: no database, no lock but the budget's own, and the ack is queued, not written through.
     */
    boolean acknowledge(AgentSocket socket, Frame.Heartbeat beat) {
        if (!socket.heartbeatBudget.tryConsume(1)) {
            return false;
        }
        socket.lastHeardNanos = ticker.getAsLong();
        socket.lastSeenMillis = clock.millis();
        heartbeats.increment();
        String sentAt = beat.sentAt();
        sessions.send(socket, frames.writeHeartbeatAck(sentAt != null && sentAt.length() <= 64 ? sentAt : null));
        return true;
    }

    /**
     * What a sweep at {@code nowNanos} does with a connection last heard at {@code socket.lastHeardNanos}, when a
     * greeted connection may be silent for {@code silenceLimitNanos}.
     */
    static Verdict verdict(AgentSocket socket, long nowNanos, long silenceLimitNanos) {
        long silent = nowNanos - socket.lastHeardNanos;
        if (socket.rotateOnly && silent > ROTATE_ONLY_LIFETIME_NANOS) {
            return Verdict.ROTATE_ONLY_TIMEOUT;
        } else if (!socket.greeted && !socket.rotateOnly && !socket.helloInFlight && silent > HELLO_TIMEOUT_NANOS) {
            return Verdict.HELLO_TIMEOUT;
        } else if (socket.greeted && silent > silenceLimitNanos) {
            return Verdict.HEARTBEAT_TIMEOUT;
        }
        return Verdict.KEEP;
    }

    /**
     * Closes sockets that never said hello in time and declares robots offline whose heartbeats stopped for
     * {@value #MISSED_HEARTBEATS} intervals (a peer that vanished without a close frame). Run every second.
     */
    void sweep(long nowNanos) {
        for (AgentSocket socket : sessions.all()) {
            switch (verdict(socket, nowNanos, silenceLimitNanos)) {
                case ROTATE_ONLY_TIMEOUT -> {
                    sessions.send(socket, new Frame.Error("rotate_only_timeout", "A rotate-only connection lasts 30 s; closing."));
                    sessions.close(socket, "rotate_only_timeout", true);
                }
                case HELLO_TIMEOUT -> {
                    sessions.send(socket, new Frame.Error("hello_timeout", "No hello within 10 s; closing."));
                    sessions.close(socket, "hello_timeout", true);
                }
                case HEARTBEAT_TIMEOUT -> sessions.close(socket, "heartbeat_timeout", true);
                case KEEP -> {
                }
            }
        }
    }

    /**
     * Writes the newest heartbeat time of every live robot heard since the last flush, in one batch; run about twice
     * per interval. A robot whose write fails is written again at the next flush.
     */
    synchronized void flushLastSeen() {
        Map<String, Long> batch = new HashMap<>();
        Map<AgentSocket, Long> seen = new IdentityHashMap<>();
        for (AgentSocket socket : sessions.greeted()) {
            long lastSeen = socket.lastSeenMillis;
            seen.put(socket, lastSeen);
            Long written = flushed.get(socket);
            if (written == null || written != lastSeen) {
                batch.put(socket.robotId, lastSeen);
            }
        }
        try {
            presence.touch(batch);
            flushed = seen; // sockets gone since drop out here
        } catch (RuntimeException e) {
            log.warn("could not write last_seen_at for {} {}; will retry", batch.size(), batch.size() == 1 ? "robot" : "robots", e);
        }
    }
}
