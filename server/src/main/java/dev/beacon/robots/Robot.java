package dev.beacon.robots;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A machine enrolled in an organization, as stored. {@code node} is the name of the server node holding its live
 * session, null when offline. It has two sets of labels: {@code agentLabels}, what its agent advertised at enrollment
 * and in its last {@code hello} (each hello replaces them), and {@code operatorLabels}, what an operator set through
 * {@code PUT /api/robots/{id}/labels} (no hello touches them). Jobs see the two merged ({@link #labels()}), the
 * operator's value winning on a key both set. Immutable.
 */
public record Robot(String id, String orgId, String siteId, String fleetId, String name, String enrollmentKeyId,
                    Instant enrolledAt, RobotStatus status, Instant lastSeenAt, String ip, String hostname, String os,
                    String arch, String agentVersion, List<String> capabilities, Map<String, String> agentLabels,
                    Map<String, String> operatorLabels, Instant pausedAt, Instant removedAt, String currentJobId, String node) {
    public Robot {
        capabilities = List.copyOf(capabilities);
        agentLabels = Map.copyOf(agentLabels);
        operatorLabels = Map.copyOf(operatorLabels);
    }

    /** The labels jobs match: the agent's, overlaid with the operator's (the operator wins on a key both set). */
    public Map<String, String> labels() {
        if (operatorLabels.isEmpty()) {
            return agentLabels;
        }
        Map<String, String> merged = new HashMap<>(agentLabels);
        merged.putAll(operatorLabels);
        return Map.copyOf(merged);
    }

    /** The value of label {@code key} as jobs see it (the operator's, else the agent's); null when neither set it. */
    public String label(String key) {
        String set = operatorLabels.get(key);
        return set != null ? set : agentLabels.get(key);
    }

    /** Whether the robot is paused (expected offline or in maintenance: given no jobs). */
    public boolean isPaused() {
        return pausedAt != null;
    }
}
