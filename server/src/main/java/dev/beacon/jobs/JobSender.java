package dev.beacon.jobs;

import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;

/**
 * Sends {@code job.assign} and {@code job.cancel} to agent sessions, keeping a cancel behind the assign it follows.
 * Called on whichever thread gave or gave up on the job (submitting, dispatcher, sweeper, connection). Thread-safe.
 */
final class JobSender {
    private final FrameCodec frames;
    private final IdleRegistry registry;

    JobSender(FrameCodec frames, IdleRegistry registry) {
        this.frames = frames;
        this.registry = registry;
    }

    /** Sends {@code job.assign}, then a cancel that arrived while it was on its way. */
    void assign(Slot slot, Job job) {
        assign(slot, JobFrames.assign(job));
    }

    /** Sends this {@code job.assign}, then a cancel that arrived while it was on its way. */
    void assign(Slot slot, Frame.JobAssign assign) {
        slot.link.send(frames.write(assign));
        if (registry.sent(slot, assign.jobId())) {
            cancel(slot, assign.jobId());
        }
    }

    void cancel(Slot slot, String jobId) {
        slot.link.send(frames.write(JobFrames.cancel(jobId)));
    }
}
