package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.beacon.protocol.Frame;

/**
 * A {@code job.assign} frame: run {@code kind} with {@code payload}, within {@code timeoutS} seconds when set.
 * {@code attempt} is which attempt of the job this is (1 for the first; null from a server that does not say).
 * Immutable and thread-safe.
 */
record JobAssignment(String jobId, String kind, JsonNode payload, Integer timeoutS, Integer attempt) {
    JobAssignment {
        if (jobId == null || jobId.isBlank() || kind == null || kind.isBlank()) {
            throw new IllegalArgumentException("job.assign needs job_id and kind");
        }
        payload = payload == null ? NullNode.getInstance() : payload;
    }

    /** The assignment a {@code job.assign} frame carries; IllegalArgumentException when job_id or kind is blank. */
    static JobAssignment of(Frame.JobAssign frame) {
        return new JobAssignment(frame.jobId(), frame.kind(), frame.payload(), frame.timeoutS(), frame.attempt());
    }
}
