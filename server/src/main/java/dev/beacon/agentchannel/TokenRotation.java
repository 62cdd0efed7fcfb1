package dev.beacon.agentchannel;

import dev.beacon.protocol.Frame;
import dev.beacon.robots.LiveConnections.RotationRequest;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.Ids;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token rotation on the agent channel: mints a robot's new token and sends it ({@code token.rotated}) when the agent
 * asks ({@code token.rotate}, rate-limited per robot) or an operator does ({@link #request}), and retires the old
 * token once the agent acknowledges the new one ({@code token.rotated.ack}). At most one rotation per robot awaits
 * its acknowledgement; that is settled in SQL by {@link RobotStore#rotate}. Agent frames arrive on the connection's
 * thread, operator requests on request threads, {@link #forgetRefilled} on the scheduler. Thread-safe.
 */
final class TokenRotation {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    /** A rotated token that its agent has not acknowledged (nor said hello with) stops working after this long. */
    static final Duration ROTATION_TTL = Duration.ofMinutes(2);
    /** Agent-initiated rotations ({@code token.rotate}) per robot: this many at once, then one per {@link #AGENT_ROTATION_REFILL}. */
    static final int AGENT_ROTATION_BURST = 5;
    static final Duration AGENT_ROTATION_REFILL = Duration.ofMinutes(2);

    private final AgentSessions sessions;
    private final RobotStore robots;
    private final Ids ids;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final TimeMeter budgetTime;
    /** Agent-initiated rotations left per robot (operator rotations are not limited). */
    private final ConcurrentHashMap<String, Bucket> agentRotations = new ConcurrentHashMap<>();

    /** @param budgetTime the time the per-robot budgets refill by ({@link TimeMeter#SYSTEM_MILLISECONDS} outside tests) */
    TokenRotation(AgentSessions sessions, RobotStore robots, Ids ids, Clock clock, MeterRegistry metrics, TimeMeter budgetTime) {
        this.sessions = sessions;
        this.robots = robots;
        this.ids = ids;
        this.clock = clock;
        this.metrics = metrics;
        this.budgetTime = budgetTime;
    }

    /** A fresh per-robot budget of agent-initiated rotations. */
    static Bucket agentBudget(TimeMeter time) {
        return Bucket.builder().withCustomTimePrecision(time).addLimit(Bandwidth.builder()
                .capacity(AGENT_ROTATION_BURST).refillGreedy(1, AGENT_ROTATION_REFILL).build()).build();
    }

    /** Whole seconds, at least one, until a budget that refused has a rotation again. */
    static long secondsToRetry(ConsumptionProbe refused) {
        return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(refused.getNanosToWaitForRefill()) + 1);
    }

    /** {@code token.rotate} from the agent: rate-limited per robot, then minted like any rotation. */
    void onTokenRotate(AgentSocket socket) {
        Bucket budget = agentRotations.computeIfAbsent(socket.robotId, robot -> agentBudget(budgetTime));
        ConsumptionProbe probe = budget.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = secondsToRetry(probe);
            metrics.counter("beacon.agent.token.rotations", "outcome", "rate_limited").increment();
            sessions.send(socket, new Frame.Error("rotation_rate_limited", "At most " + AGENT_ROTATION_BURST + " token rotations at once, then one every "
                    + AGENT_ROTATION_REFILL.toMinutes() + " minutes per robot; retry in " + seconds + " s."));
            return;
        }
        if (rotate(socket, socket.tokenHash) instanceof RobotStore.Rotation.Pending pending) {
            sessions.send(socket, new Frame.Error("rotation_pending", "A token rotation of this robot awaits its acknowledgement (until "
                    + pending.until() + "); acknowledge it, or retry after that."));
        }
    }

    /**
     * Asks a connected robot's agent to take a new token (the server side of {@code rotate-token}). Operator
     * rotations are not rate-limited, but like every rotation wait for an outstanding one to be acknowledged.
     */
    RotationRequest request(String robotId) {
        AgentSocket socket = sessions.speakingFor(robotId);
        if (socket == null) {
            return RotationRequest.OFFLINE;
        }
        return switch (rotate(socket, null)) {
            case RobotStore.Rotation.Minted minted -> RotationRequest.SENT;
            case RobotStore.Rotation.Pending pending -> RotationRequest.PENDING;
            case RobotStore.Rotation.Refused refused -> RotationRequest.OFFLINE;
        };
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
                sessions.send(socket, new Frame.TokenRotated(minted.token().value()));
                metrics.counter("beacon.agent.token.rotations", "outcome", "minted").increment();
                log.info("agent {} was sent a new token ({})", socket.robotName, minted.token().masked());
            }
            case RobotStore.Rotation.Pending pending ->
                    metrics.counter("beacon.agent.token.rotations", "outcome", "pending").increment();
            case RobotStore.Rotation.Refused refused -> {
                metrics.counter("beacon.agent.token.rotations", "outcome", refused.reason()).increment();
                sessions.close(socket, refused.reason(), false);
            }
        }
        return rotation;
    }

    /** {@code token.rotated.ack}: the agent saved the new token, so the old one stops working now. */
    void onTokenRotatedAck(AgentSocket socket) {
        String newHash = socket.pendingTokenHash;
        if (newHash == null) {
            sessions.send(socket, new Frame.Error("unexpected_ack", "No token rotation is pending on this connection."));
            return;
        }
        // Only now, with the new token saved on the agent, does the old one stop working.
        int revoked = robots.acknowledgeRotation(socket.robotId, newHash, clock.instant());
        socket.pendingTokenHash = null;
        if (revoked < 0) {
            sessions.send(socket, new Frame.Error("rotation_expired", "The new token expired (" + ROTATION_TTL.toSeconds()
                    + " s after it was sent) or was revoked before this acknowledgement; it does not work. Rotate again."));
            log.warn("agent {} acknowledged a token that had expired or was revoked", socket.robotName);
            return;
        }
        socket.tokenHash = newHash;
        log.info("agent {} saved its new token; {} old {} revoked", socket.robotName, revoked, revoked == 1 ? "token" : "tokens");
    }

    /** Forgets the budgets that are full again, which a fresh one would equal (run now and then by the sweep). */
    void forgetRefilled() {
        agentRotations.values().removeIf(budget -> budget.getAvailableTokens() >= AGENT_ROTATION_BURST);
    }
}
