package dev.beacon.cluster;

import dev.beacon.jobs.AgentLink;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.Robot;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The {@link FleetEvents} of a node among others: each event acts on this node first (its {@code local} events),
 * then goes to the other nodes as a {@link Signal} when what it concerns may be there — a robot's socket, an idle
 * robot of the organization, the robot holding a job. A robot's end ({@link #robotGone}) stays local: its socket
 * was here. Runs on the calling thread, after commit like every event; sending only queues. Thread-safe.
 */
final class ClusterFleetEvents implements FleetEvents {
    private final FleetEvents local;
    private final SignalSender sender;

    ClusterFleetEvents(FleetEvents local, SignalSender sender) {
        this.local = local;
        this.sender = sender;
    }

    @Override
    public void robotsRevoked(Collection<String> robotIds) {
        local.robotsRevoked(robotIds);
        List<String> ids = List.copyOf(robotIds);
        for (int from = 0; from < ids.size(); from += Signal.MAX_ROBOT_IDS) {
            sender.send(new Signal.RobotsRevoked(ids.subList(from, Math.min(ids.size(), from + Signal.MAX_ROBOT_IDS))));
        }
    }

    @Override
    public void robotRemoved(String robotId) {
        local.robotRemoved(robotId);
        sender.send(new Signal.RobotRemoved(robotId));
    }

    @Override
    public void robotResumed(Robot robot) {
        local.robotResumed(robot);
        sender.send(new Signal.RobotResumed(robot.orgId(), robot.id()));
    }

    @Override
    public void robotConnected(String robotId, String orgId, String sessionId, AgentLink link) {
        local.robotConnected(robotId, orgId, sessionId, link);
        sender.send(new Signal.RobotConnected(robotId, sessionId));
    }

    @Override
    public void robotGone(String robotId, String sessionId, String reason) {
        local.robotGone(robotId, sessionId, reason);
    }

    @Override
    public void robotsGone(Map<String, String> sessionByRobot, String reason) {
        local.robotsGone(sessionByRobot, reason);
    }

    @Override
    public void jobReady(String orgId) {
        local.jobReady(orgId);
        sender.send(new Signal.JobReady(orgId));
    }

    @Override
    public void jobCancelRequested(String orgId, String jobId) {
        local.jobCancelRequested(orgId, jobId);
        sender.send(new Signal.JobCancel(orgId, jobId));
    }
}
