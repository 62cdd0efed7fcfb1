package dev.beacon.jobs;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads the {@code job.result} frame of the agent protocol. Stateless. */
final class JobFrames {
    /** Longest error text kept; agents cap output themselves, an error message needs no more. */
    static final int MAX_ERROR = 4_000;

    private JobFrames() {
    }

    /** The result a frame reports; throws IllegalArgumentException with a message for the agent when malformed. */
    static Transition.Event.Result result(JsonNode frame) {
        JsonNode status = frame.get("status");
        JobStatus reported = status == null || !status.isTextual() ? null
                : JobStatus.fromWire(status.asText()).filter(JobStatus::isFinished).orElse(null);
        if (reported == null) {
            throw new IllegalArgumentException("'job.result' needs status succeeded, failed, timed_out or cancelled.");
        }
        JsonNode exitCode = frame.get("exit_code");
        if (exitCode != null && !exitCode.isNull() && !(exitCode.isIntegralNumber() && exitCode.canConvertToInt())) {
            throw new IllegalArgumentException("'job.result' exit_code must be a whole number or null.");
        }
        JsonNode error = frame.get("error");
        if (error != null && !error.isNull() && !error.isTextual()) {
            throw new IllegalArgumentException("'job.result' error must be a string or null.");
        }
        JsonNode output = frame.get("output");
        String errorText = error == null || error.isNull() ? null : error.asText();
        if (errorText != null && errorText.length() > MAX_ERROR) {
            errorText = errorText.substring(0, MAX_ERROR) + "…";
        }
        return new Transition.Event.Result(reported, output == null || output.isNull() ? null : output,
                exitCode == null || exitCode.isNull() ? null : exitCode.intValue(), errorText);
    }
}
