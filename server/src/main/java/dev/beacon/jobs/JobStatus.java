package dev.beacon.jobs;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * Where a job stands, as stored in {@code jobs.status} and shown by the API. Lifecycle
 * {@code queued → assigned → running → succeeded | failed | timed_out | cancelled}; a job whose robot is lost or
 * whose time runs out goes back to {@code queued} while attempts remain. The last four are also what an agent may
 * report in a {@code job.result} frame.
 */
public enum JobStatus {
    QUEUED("queued"),
    ASSIGNED("assigned"),
    RUNNING("running"),
    SUCCEEDED("succeeded"),
    FAILED("failed"),
    TIMED_OUT("timed_out"),
    CANCELLED("cancelled");

    private final String wireName;

    JobStatus(String wireName) {
        this.wireName = wireName;
    }

    /** The name in the database, in JSON and in frames. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The status with this wire name, or empty for anything else (such as a bad query parameter). */
    public static Optional<JobStatus> fromWire(String wireName) {
        for (JobStatus status : values()) {
            if (status.wireName.equals(wireName)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }

    /** The status with this wire name, read from the database; anything else is a corrupt row. */
    public static JobStatus of(String wireName) {
        return fromWire(wireName).orElseThrow(() -> new IllegalStateException("unknown job status '" + wireName + "'"));
    }

    /** Whether a robot holds the job (assigned or running). */
    public boolean isHeld() {
        return this == ASSIGNED || this == RUNNING;
    }

    /** Whether the job has ended for good: an outcome an agent may report. */
    public boolean isFinished() {
        return this != QUEUED && !isHeld();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
