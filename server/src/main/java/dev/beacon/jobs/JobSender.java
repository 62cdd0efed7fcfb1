package dev.beacon.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Sends {@code job.assign} and {@code job.cancel} to agent sessions, keeping a cancel behind the assign it follows.
 * Called on whichever thread gave or gave up on the job (submitting, dispatcher, sweeper, connection). Thread-safe.
 */
final class JobSender {
    private final ObjectMapper json;
    private final IdleRegistry registry;

    JobSender(ObjectMapper json, IdleRegistry registry) {
        this.json = json;
        this.registry = registry;
    }

    /** Sends {@code job.assign}, then a cancel that arrived while it was on its way. */
    void assign(Slot slot, Job job) {
        slot.link.send(assignFrame(job));
        if (registry.sent(slot, job.id())) {
            cancel(slot, job.id());
        }
    }

    void cancel(Slot slot, String jobId) {
        slot.link.send(cancelFrame(jobId));
    }

    /** {@code job.assign} for a job as assigned: {@code attempt} counts from 1 and grows each time the job is assigned again. */
    private String assignFrame(Job job) {
        ObjectNode frame = json.createObjectNode().put("type", "job.assign").put("job_id", job.id()).put("kind", job.kind());
        frame.set("payload", job.payload());
        return frame.put("timeout_s", job.timeoutS()).put("attempt", job.attempts()).toString();
    }

    private String cancelFrame(String jobId) {
        return json.createObjectNode().put("type", "job.cancel").put("job_id", jobId).toString();
    }
}
