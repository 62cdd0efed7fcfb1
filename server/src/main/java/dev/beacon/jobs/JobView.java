package dev.beacon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A job as the API shows it; {@code waitingReason} is set for queued jobs only. Immutable. */
public record JobView(String id, String kind, JobStatus status, JsonNode payload, Target target, int priority, int timeoutS,
                      int maxAttempts, int attempts, String robotId, JsonNode output, Integer exitCode, String error,
                      String waitingReason, String idempotencyKey, boolean cancelRequested, Instant createdAt,
                      Instant queuedAt, Instant assignedAt, Instant startedAt, Instant finishedAt, Instant updatedAt) {
    public static JobView of(Job job, String waitingReason) {
        return new JobView(job.id(), job.kind(), job.status(), job.payload(), job.target(), job.priority(), job.timeoutS(),
                job.maxAttempts(), job.attempts(), job.robotId(), job.output(), job.exitCode(), job.error(),
                job.status() == JobStatus.QUEUED ? waitingReason : null, job.idempotencyKey(), job.cancelRequestedAt() != null,
                job.createdAt(), job.queuedAt(), job.assignedAt(), job.startedAt(), job.finishedAt(), job.updatedAt());
    }
}
