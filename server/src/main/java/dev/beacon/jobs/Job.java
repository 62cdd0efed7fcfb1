package dev.beacon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Set;

/**
 * A job as stored: what to run, where, and how far it got. Lifecycle
 * {@code queued → assigned → running → succeeded | failed | timed_out | cancelled}; a job whose robot is lost
 * or whose time runs out goes back to {@code queued} while attempts remain. Immutable.
 */
public record Job(String id, String orgId, String kind, JsonNode payload, Target target, int priority, int timeoutS,
                  int maxAttempts, int attempts, String status, String robotId, String sessionId, String idempotencyKey,
                  JsonNode output, Integer exitCode, String error, String createdBy, Instant createdAt, Instant queuedAt,
                  Instant assignedAt, Instant startedAt, Instant finishedAt, Instant cancelRequestedAt, Instant updatedAt) {
    public static final String QUEUED = "queued";
    public static final String ASSIGNED = "assigned";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String TIMED_OUT = "timed_out";
    public static final String CANCELLED = "cancelled";
    public static final Set<String> STATUSES = Set.of(QUEUED, ASSIGNED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED);

    /** Whether a robot holds the job right now (assigned or running). */
    public boolean isHeld() {
        return ASSIGNED.equals(status) || RUNNING.equals(status);
    }

    /** Whether the job has ended for good. */
    public boolean isFinished() {
        return !QUEUED.equals(status) && !isHeld();
    }
}
