package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import java.util.List;
import java.util.Map;

/**
 * Which robots may run a job: every part that is set must match (a robot, a fleet, a site, required
 * capabilities, a subset of labels). The job's kind is always a required capability too. Immutable.
 */
public record Target(String robotId, String fleetId, String siteId, List<String> capabilities, Map<String, String> labels) {
    public Target {
        capabilities = List.copyOf(capabilities);
        labels = Map.copyOf(labels);
    }

    /** Whether {@code robot} is one this target names, ignoring whether it advertises the kind. */
    boolean selects(Robot robot) {
        return (robotId == null || robotId.equals(robot.id()))
                && (fleetId == null || fleetId.equals(robot.fleetId()))
                && (siteId == null || siteId.equals(robot.siteId()))
                && robot.labels().entrySet().containsAll(labels.entrySet());
    }

    /** Whether {@code robot} is selected and advertises {@code kind} and every required capability. */
    boolean matches(Robot robot, String kind) {
        return selects(robot) && robot.capabilities().contains(kind) && robot.capabilities().containsAll(capabilities);
    }
}
