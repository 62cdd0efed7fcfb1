package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads a robot's facts (capabilities, labels, paused) for its slot: at hello, and again when a claim finds the
 * robot unavailable. Reads the database on the caller's thread (connection or dispatcher). Thread-safe.
 */
final class RobotFacts {
    private final RobotStore robots;
    private final IdleRegistry registry;

    RobotFacts(RobotStore robots, IdleRegistry registry) {
        this.robots = robots;
        this.registry = registry;
    }

    /** The robot as stored now; null when it is not found. */
    Robot read(String orgId, String robotId) {
        return robots.byId(orgId, robotId).map(RobotFacts::kept).orElse(null);
    }

    /**
     * The robot as a slot keeps it for the whole connection: the strings robots have in common (organization, site,
     * fleet, enrollment key, platform, agent version, node, capabilities, labels) shared through the JVM's string
     * table, so thousands of connected robots of one fleet hold one copy of each instead of one per robot (with
     * 19,000 idle agents, about half the strings on the heap). Interned strings are collected once no robot holds
     * them.
     */
    static Robot kept(Robot robot) {
        return new Robot(robot.id(), shared(robot.orgId()), shared(robot.siteId()), shared(robot.fleetId()), robot.name(),
                shared(robot.enrollmentKeyId()), robot.enrolledAt(), robot.status(), robot.lastSeenAt(), shared(robot.ip()),
                robot.hostname(), shared(robot.os()), shared(robot.arch()), shared(robot.agentVersion()),
                robot.capabilities().stream().map(RobotFacts::shared).toList(), shared(robot.agentLabels()),
                shared(robot.operatorLabels()), robot.pausedAt(), robot.removedAt(), robot.currentJobId(), shared(robot.node()));
    }

    private static String shared(String text) {
        return text == null ? null : text.intern();
    }

    private static Map<String, String> shared(Map<String, String> labels) {
        if (labels.isEmpty()) {
            return labels;
        }
        Map<String, String> kept = new HashMap<>();
        labels.forEach((key, value) -> kept.put(key.intern(), value.intern()));
        return kept;
    }

    /** Reads the robot's facts again (it may have been paused or removed since its hello). */
    void refresh(Slot slot) {
        registry.refreshed(slot, read(slot.orgId, slot.robotId));
    }
}
