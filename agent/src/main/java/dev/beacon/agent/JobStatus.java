package dev.beacon.agent;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** How a job ended, as sent in {@code job.result}: {@code succeeded | failed | timed_out | cancelled}. */
enum JobStatus {
    SUCCEEDED, FAILED, TIMED_OUT, CANCELLED;

    @JsonValue
    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
