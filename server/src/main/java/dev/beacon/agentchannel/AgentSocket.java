package dev.beacon.agentchannel;

import io.javalin.websocket.WsContext;

/**
 * One agent connection: who it speaks for and when it was last heard. Created on upgrade; the
 * {@code volatile} fields are written by the connection's message thread and read by the sweeper.
 */
final class AgentSocket {
    final String sessionId;
    final String robotId;
    final String robotName;
    final String orgId;
    final String ip;
    final WsContext ws;
    volatile boolean greeted;
    volatile long lastHeardNanos;
    volatile long lastSeenMillis;
    /** The hash of a token minted by {@code token.rotate} that awaits the agent's acknowledgement. */
    volatile String pendingTokenHash;
    /** Why the server closed this socket, when it did; null while open or when the agent closed it. */
    volatile String closeReason;

    AgentSocket(String sessionId, String robotId, String robotName, String orgId, String ip, WsContext ws,
                long nowNanos, long nowMillis) {
        this.sessionId = sessionId;
        this.robotId = robotId;
        this.robotName = robotName;
        this.orgId = orgId;
        this.ip = ip;
        this.ws = ws;
        this.lastHeardNanos = nowNanos;
        this.lastSeenMillis = nowMillis;
    }

    @Override
    public String toString() {
        return "AgentSocket[robot=" + robotName + " (" + robotId + "), session=" + sessionId + ", ip=" + ip + "]";
    }
}
