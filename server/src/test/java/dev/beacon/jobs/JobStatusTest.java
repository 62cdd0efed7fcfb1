package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.robots.RobotStatus;
import dev.beacon.testing.StatusLiterals;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link JobStatus}'s wire names are the API's and the database's, and every one parses back. */
class JobStatusTest {
    @Test
    void wireNamesAreTheApisStatuses() throws Exception {
        assertThat(Arrays.stream(JobStatus.values()).map(JobStatus::wireName))
                .containsExactly("queued", "assigned", "running", "succeeded", "failed", "timed_out", "cancelled");
        for (JobStatus status : JobStatus.values()) {
            assertThat(JobStatus.fromWire(status.wireName())).contains(status);
            assertThat(new ObjectMapper().writeValueAsString(status)).isEqualTo("\"" + status.wireName() + "\"");
        }
        assertThat(JobStatus.fromWire("QUEUED")).isEmpty();
        assertThat(JobStatus.fromWire(null)).isEmpty();
    }

    /**
     * Every status the SQL and the migrations spell out ({@code status = 'queued'}, {@code IN (…)}, a default) is the
     * wire name of a job or a robot status (both tables call the column {@code status}).
     */
    @Test
    void everyStatusTheSqlSpellsOutParses() throws Exception {
        var literals = StatusLiterals.all();
        assertThat(literals).contains("queued", "assigned", "running", "succeeded", "cancelled", "online", "busy", "offline");
        assertThat(literals).allSatisfy(literal -> assertThat(JobStatus.fromWire(literal).isPresent()
                || RobotStatus.fromWire(literal).isPresent()).as(literal).isTrue());
    }
}
