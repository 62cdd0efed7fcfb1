package dev.beacon.server;

import dev.beacon.agentchannel.AgentChannel;
import dev.beacon.jobs.AgentLink;
import dev.beacon.jobs.Dispatcher;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.Robot;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The {@link FleetEvents} of one node: revocations and removals close the robots' sockets on the
 * {@link AgentChannel}; connections, ends, resumes and ready jobs go to the {@link Dispatcher}. The channel is
 * attached once after it is built (it reports events here itself), before the server accepts connections. Runs on
 * the calling thread; thread-safe once attached.
 */
final class LocalFleetEvents implements FleetEvents {
    private final Dispatcher dispatcher;
    private volatile AgentChannel channel;

    LocalFleetEvents(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** Attaches the agent channel whose sockets revocations and removals close. Called once, at wiring. */
    void attach(AgentChannel channel) {
        if (this.channel != null) {
            throw new IllegalStateException("the agent channel is attached already");
        }
        this.channel = channel;
    }

    @Override
    public void robotsRevoked(Collection<String> robotIds) {
        channel.disconnect(robotIds, "revoked");
    }

    @Override
    public void robotRemoved(String robotId) {
        channel.disconnect(List.of(robotId), "removed");
    }

    @Override
    public void robotResumed(Robot robot) {
        dispatcher.robotResumed(robot);
    }

    @Override
    public void robotConnected(String robotId, String orgId, String sessionId, AgentLink link) {
        dispatcher.robotGreeted(robotId, orgId, sessionId, link);
    }

    @Override
    public void robotGone(String robotId, String sessionId, String reason) {
        dispatcher.robotGone(robotId, sessionId, reason);
    }

    @Override
    public void robotsGone(Map<String, String> sessionByRobot, String reason) {
        dispatcher.robotsGone(sessionByRobot, reason);
    }

    @Override
    public void jobReady(String orgId) {
        dispatcher.requestDispatch(orgId);
    }

    @Override
    public void jobCancelRequested(String orgId, String jobId) {
        dispatcher.cancelRequested(orgId, jobId);
    }
}
