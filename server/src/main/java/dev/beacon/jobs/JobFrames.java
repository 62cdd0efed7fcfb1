package dev.beacon.jobs;

import dev.beacon.protocol.Frame;

/**
 * Between the protocol's job frames and the job queue: the {@code job.assign} and {@code job.cancel} records the
 * server sends, and the settle event a {@code job.result} record reports. The frames' own rules (a {@code job_id},
 * a known status) are checked when {@link dev.beacon.protocol.FrameCodec} reads them; this adds what the queue keeps.
 * Stateless.
 */
final class JobFrames {
    /** Longest error text kept; agents cap output themselves, an error message needs no more. */
    static final int MAX_ERROR = 4_000;

    private JobFrames() {
    }

    /** {@code job.assign} for a job as assigned: {@code attempt} counts from 1 and grows each time the job is assigned again. */
    static Frame.JobAssign assign(Job job) {
        return new Frame.JobAssign(job.id(), job.kind(), job.payload(), job.timeoutS(), job.attempts());
    }

    static Frame.JobCancel cancel(String jobId) {
        return new Frame.JobCancel(jobId);
    }

    /** The settle event a result reports, its error cut to {@value #MAX_ERROR} characters. */
    static Transition.Event.Result result(Frame.JobResult frame) {
        String error = frame.error();
        if (error != null && error.length() > MAX_ERROR) {
            error = error.substring(0, MAX_ERROR) + "…";
        }
        JobStatus reported = JobStatus.fromWire(frame.status()).filter(JobStatus::isFinished).orElseThrow(() ->
                new IllegalArgumentException("'job.result' needs status succeeded, failed, timed_out or cancelled."));
        return new Transition.Event.Result(reported, frame.output(), frame.exitCode(), error);
    }
}
