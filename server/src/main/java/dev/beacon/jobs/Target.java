package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import java.util.List;
import java.util.Map;

/**
 * Which robots may run a job: every part that is set must match (a robot, a fleet, a site, required
 * capabilities, a subset of labels — its agent's and its operator's merged, see {@link Robot#labels()}). The job's
 * kind is always a required capability too. Immutable.
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
                && hasLabels(robot);
    }

    /** Whether the robot carries every label of the target, its operator's labels counting over its agent's. */
    private boolean hasLabels(Robot robot) {
        for (Map.Entry<String, String> wanted : labels.entrySet()) {
            if (!wanted.getValue().equals(robot.label(wanted.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code robot} is selected and advertises {@code kind} and every required capability. */
    boolean matches(Robot robot, String kind) {
        return selects(robot) && robot.capabilities().contains(kind) && robot.capabilities().containsAll(capabilities);
    }
}
