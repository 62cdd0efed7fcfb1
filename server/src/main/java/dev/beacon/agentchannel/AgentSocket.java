package dev.beacon.agentchannel;

import io.github.bucket4j.Bucket;
import org.eclipse.jetty.websocket.core.CoreSession;

/**
 * One agent connection: who it speaks for and when it was last heard. Created on upgrade; the
 * {@code volatile} fields are written by the connection's message thread and read by the sweeper and by
 * request threads that close it. {@link #greeted} and {@link #closeReason} change under the socket's monitor,
 * so a close that races a {@code hello} is seen by exactly one of them.
 */
final class AgentSocket {
    final String sessionId;
    final String robotId;
    final String robotName;
    final String orgId;
    final String ip;
    /** Jetty's WebSocket session of this connection (null in unit tests that never send). */
    final CoreSession session;
    /** The hash of the token this connection authenticated with (the acknowledged rotated one after an ack). */
    volatile String tokenHash;
    /** Said a full hello: this connection speaks for the robot (presence, jobs). */
    volatile boolean greeted;
    /**
     * A hello arrived and is being recorded (its presence write may wait behind others in a reconnect storm): the
     * agent said hello in time, so the hello deadline no longer applies while this is set.
     */
    volatile boolean helloInFlight;
    /** Said a hello with purpose {@code rotate-token}: this connection only rotates the token. */
    volatile boolean rotateOnly;
    volatile long lastHeardNanos;
    volatile long lastSeenMillis;
    /** Heartbeats this connection may still send at once; set at hello. */
    volatile Bucket heartbeatBudget;
    /** The hash of a token minted by {@code token.rotate} that awaits the agent's acknowledgement. */
    volatile String pendingTokenHash;
    /** Why the server closed this socket, when it did; null while open or when the agent closed it. */
    volatile String closeReason;

    AgentSocket(String sessionId, String robotId, String robotName, String orgId, String ip, String tokenHash, CoreSession session,
                long nowNanos, long nowMillis) {
        this.sessionId = sessionId;
        this.robotId = robotId;
        this.robotName = robotName;
        this.orgId = orgId;
        this.ip = ip;
        this.tokenHash = tokenHash;
        this.session = session;
        this.lastHeardNanos = nowNanos;
        this.lastSeenMillis = nowMillis;
    }

    @Override
    public String toString() {
        return "AgentSocket[robot=" + robotName + " (" + robotId + "), session=" + sessionId + ", ip=" + ip + "]";
    }
}
