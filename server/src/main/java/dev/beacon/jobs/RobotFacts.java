package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;

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
        return robots.byId(orgId, robotId).orElse(null);
    }

    /** Reads the robot's facts again (it may have been paused or removed since its hello). */
    void refresh(Slot slot) {
        registry.refreshed(slot, read(slot.orgId, slot.robotId));
    }
}
