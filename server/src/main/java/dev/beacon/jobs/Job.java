package dev.beacon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A job as stored: what to run, where, and how far it got ({@link JobStatus}). Immutable. */
public record Job(String id, String orgId, String kind, JsonNode payload, Target target, int priority, int timeoutS,
                  int maxAttempts, int attempts, JobStatus status, String robotId, String sessionId, String idempotencyKey,
                  JsonNode output, Integer exitCode, String error, String createdBy, Instant createdAt, Instant queuedAt,
                  Instant assignedAt, Instant startedAt, Instant finishedAt, Instant cancelRequestedAt, Instant updatedAt) {
    /** Whether a robot holds the job right now (assigned or running). */
    public boolean isHeld() {
        return status.isHeld();
    }

    /** Whether the job has ended for good. */
    public boolean isFinished() {
        return status.isFinished();
    }
}
