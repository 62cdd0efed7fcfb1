package dev.beacon.jobs;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The rules for how a held job ends: what a result, a lost robot, an overdue job or a server's shutdown turns it
 * into. A job that did not finish on its own merits (robot lost, time ran out, refused before it started) goes back
 * to the queue while attempts remain; a job its own server interrupted by shutting down goes back to the queue and
 * gets its attempt back, so restarts never make a job fail; an operator's cancel always wins. Stateless.
 */
final class Transition {
    private Transition() {
    }

    /** What happened to a held job. */
    sealed interface Event {
        /** The agent's {@code job.result}. */
        record Result(JobStatus status, JsonNode output, Integer exitCode, String error) implements Event {
        }

        /** The robot's session ended (disconnect, server restart) while it held the job. */
        record Lost(String reason) implements Event {
        }

        /** No result within {@code timeout_s} plus grace, or no answer to a cancel. */
        record Overdue(String reason) implements Event {
        }

        /**
         * The server holding the robot's session shut down cleanly while the job was still held after its grace
         * period: the interruption was the server's, not the job's, so the attempt does not count.
         */
        record Interrupted(String reason) implements Event {
        }
    }

    /**
     * The job's next state. {@code attemptGivenBack}: the attempt the job was held under does not count (its
     * {@code attempts} goes down by one as it is queued again).
     */
    record Outcome(JobStatus status, JsonNode output, Integer exitCode, String error, boolean attemptGivenBack) {
        Outcome(JobStatus status, JsonNode output, Integer exitCode, String error) {
            this(status, output, exitCode, error, false);
        }
    }

    static Outcome of(Job job, Event event) {
        boolean cancelRequested = job.cancelRequestedAt() != null;
        return switch (event) {
            case Event.Result result -> switch (result.status()) {
                case JobStatus.SUCCEEDED -> new Outcome(JobStatus.SUCCEEDED, result.output(), result.exitCode(), result.error());
                case JobStatus.CANCELLED -> cancelRequested
                        ? new Outcome(JobStatus.CANCELLED, result.output(), result.exitCode(), orElse(result.error(), "cancelled on request"))
                        : retryOr(job, JobStatus.FAILED, "the agent stopped the job" + suffix(result.error()));
                case JobStatus.TIMED_OUT -> retryOr(job, JobStatus.TIMED_OUT, orElse(result.error(), "timed out after " + job.timeoutS() + " s"));
                default -> job.status() == JobStatus.ASSIGNED
                        // Refused before it started (agent busy, kind unknown): it never ran, so another robot may try.
                        ? retryOr(job, JobStatus.FAILED, "robot " + job.robotId() + " refused the job" + suffix(result.error()))
                        : new Outcome(JobStatus.FAILED, result.output(), result.exitCode(), result.error());
            };
            case Event.Lost lost -> cancelRequested
                    ? new Outcome(JobStatus.CANCELLED, null, null, "cancelled on request; " + lost.reason())
                    : retryOr(job, JobStatus.FAILED, lost.reason());
            case Event.Overdue overdue -> cancelRequested
                    ? new Outcome(JobStatus.CANCELLED, null, null, "cancelled on request; " + overdue.reason())
                    : retryOr(job, JobStatus.TIMED_OUT, overdue.reason());
            // Queued again whatever the attempts: the attempt is given back, so max_attempts is not reached.
            case Event.Interrupted interrupted -> cancelRequested
                    ? new Outcome(JobStatus.CANCELLED, null, null, "cancelled on request; " + interrupted.reason())
                    : new Outcome(JobStatus.QUEUED, null, null, interrupted.reason() + " (attempt " + job.attempts() + " of "
                            + job.maxAttempts() + " does not count); queued again", true);
        };
    }

    private static Outcome retryOr(Job job, JobStatus finalStatus, String reason) {
        String attempt = " (attempt " + job.attempts() + " of " + job.maxAttempts() + ")";
        if (job.attempts() < job.maxAttempts()) {
            return new Outcome(JobStatus.QUEUED, null, null, reason + attempt + "; queued again");
        }
        return new Outcome(finalStatus, null, null, reason + attempt + "; no attempts left");
    }

    private static String suffix(String error) {
        return error == null || error.isBlank() ? "" : ": " + error;
    }

    private static String orElse(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
