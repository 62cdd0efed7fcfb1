package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The outcome of one job, sent as {@code job.result}. Immutable and thread-safe.
 *
 * @param output    for {@code echo} the payload itself; for commands their stdout (capped at 64 KiB) as a string
 * @param exitCode  the process exit code for commands, null for built-ins or when no process ran to the end
 * @param error     why the job did not succeed, in one line; null when it succeeded
 */
record JobResult(String jobId, JobStatus status, JsonNode output, Integer exitCode, String error) {
    static JobResult failed(String jobId, String error) {
        return new JobResult(jobId, JobStatus.FAILED, null, null, error);
    }
}
