package dev.beacon.jobs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Builders of robots, slots and jobs for the dispatcher's unit tests, and a link that records what it sent. */
final class Slots {
    static final String ORG = "org-1";
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private Slots() {
    }

    /** A link that keeps every frame sent; thread-safe. */
    static final class RecordingLink implements AgentLink {
        final List<String> frames = new CopyOnWriteArrayList<>();

        @Override
        public void send(String frame) {
            frames.add(frame);
        }
    }

    static Robot robot(String id, List<String> capabilities, boolean paused) {
        return new Robot(id, ORG, "site-1", "fleet-1", id, null, T0, RobotStatus.ONLINE, T0, null, null, null, null, null,
                capabilities, Map.of(), Map.of(), paused ? T0 : null, null, null, null);
    }

    static Slot slot(String robotId, List<String> capabilities) {
        Slot slot = new Slot(robotId, ORG, "session-" + robotId, new RecordingLink());
        slot.robot = robot(robotId, capabilities, false);
        return slot;
    }

    static Job job(String id, String kind) {
        return job(id, kind, 0, 60, 2);
    }

    static Job job(String id, String kind, int priority, int timeoutS, int maxAttempts) {
        return new Job(id, ORG, kind, JsonNodeFactory.instance.objectNode(), new Target(null, null, null, List.of(), Map.of()),
                priority, timeoutS, maxAttempts, 0, JobStatus.QUEUED, null, null, null, null, null, null, null, T0, T0, null, null, null,
                null, T0);
    }
}
