package dev.beacon.robots;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A machine enrolled in an organization, as stored. {@code node} is the name of the server node holding its live
 * session, null when offline. Immutable.
 */
public record Robot(String id, String orgId, String siteId, String fleetId, String name, String enrollmentKeyId,
                    Instant enrolledAt, RobotStatus status, Instant lastSeenAt, String ip, String hostname, String os,
                    String arch, String agentVersion, List<String> capabilities, Map<String, String> labels,
                    Instant pausedAt, Instant removedAt, String currentJobId, String node) {
    public Robot {
        capabilities = List.copyOf(capabilities);
        labels = Map.copyOf(labels);
    }

    /** Whether the robot is paused (expected offline or in maintenance: given no jobs). */
    public boolean isPaused() {
        return pausedAt != null;
    }
}
