package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rules for how a held job ends, as a table. */
class TransitionTest {
    static Job held(String status, int attempts, int maxAttempts, boolean cancelRequested) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new Job("job_1", "org_1", "echo", IntNode.valueOf(1), new Target(null, null, null, List.of(), Map.of()), 0, 60,
                maxAttempts, attempts, JobStatus.of(status), "rob_1", "ses_1", null, null, null, null, "test", now, now, now, null, null,
                cancelRequested ? now : null, now);
    }

    @ParameterizedTest(name = "{0} on a {1} job, attempt {2}/{3}, cancel requested {4} → {5}")
    @CsvSource({
            "succeeded, running,  1, 3, false, succeeded",
            "failed,    running,  1, 3, false, failed",
            "failed,    assigned, 1, 3, false, queued",
            "failed,    assigned, 3, 3, false, failed",
            "timed_out, running,  1, 3, false, queued",
            "timed_out, running,  3, 3, false, timed_out",
            "cancelled, running,  1, 3, true,  cancelled",
            "cancelled, running,  1, 3, false, queued",
            "cancelled, running,  2, 2, false, failed",
            "lost,      running,  1, 3, false, queued",
            "lost,      running,  1, 1, false, failed",
            "lost,      running,  1, 3, true,  cancelled",
            "overdue,   running,  2, 3, false, queued",
            "overdue,   running,  3, 3, false, timed_out",
            "overdue,   assigned, 1, 3, true,  cancelled",
            "interrupted, running,  1, 1, false, queued",
            "interrupted, assigned, 3, 3, false, queued",
            "interrupted, running,  1, 3, true,  cancelled",
    })
    void a_held_job_ends_or_goes_back_to_the_queue(String event, String status, int attempts, int maxAttempts,
                                                   boolean cancelRequested, String expected) {
        Transition.Event happened = switch (event) {
            case "lost" -> new Transition.Event.Lost("robot rob_1 disconnected");
            case "overdue" -> new Transition.Event.Overdue("no result");
            case "interrupted" -> new Transition.Event.Interrupted("the server holding robot rob_1 shut down before the job ended");
            default -> new Transition.Event.Result(JobStatus.of(event), null, null, null);
        };

        Transition.Outcome outcome = Transition.of(held(status, attempts, maxAttempts, cancelRequested), happened);

        assertThat(outcome.status().wireName()).isEqualTo(expected);
        if (expected.equals("queued")) {
            assertThat(outcome.error()).endsWith("queued again");
        }
        // Only the server's own shutdown gives the attempt back; everything else counts it.
        assertThat(outcome.attemptGivenBack()).isEqualTo(event.equals("interrupted") && expected.equals("queued"));
    }
}
