package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.retention.RetentionSettings;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The dashboard says how long a machine's job history and the audit log are kept, and says nothing when they are kept
 * for ever. SQLite only: the note comes from the settings, not the database. On JUnit's thread.
 */
class RetentionNoteTest {
    @Test
    void the_job_history_and_the_audit_log_say_when_older_entries_expire() throws Exception {
        RetentionSettings settings = RetentionSettings.defaults();
        settings = new RetentionSettings(Duration.ofHours(36), settings.jobOutput(), settings.audit(), settings.connections(),
                settings.robotTokens(), settings.enrollmentKeys());
        RetentionSettings kept = settings;
        try (TestServer server = TestServer.start(Backend.SQLITE, config -> config.withRetention(kept));
             DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            String robotId = enroll(server);

            assertThat(admin.page("/machines/" + robotId)).contains("Older entries expire after 36 hours.");
            assertThat(admin.page("/audit")).contains("Older entries expire after 365 days.");
        }
    }

    @Test
    void nothing_is_said_when_history_is_kept_for_ever() throws Exception {
        try (TestServer server = TestServer.start(Backend.SQLITE, config -> config.withRetention(RetentionSettings.forever()));
             DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            String robotId = enroll(server);

            assertThat(admin.page("/machines/" + robotId)).doesNotContain("Older entries expire");
            assertThat(admin.page("/audit")).doesNotContain("Older entries expire");
        }
    }

    private static String enroll(TestServer server) {
        TestServer.Response claimed = server.claim(server.enrollmentKey(5).get("key_value").asText(), "keeper-bot");
        assertThat(claimed.status()).as(claimed.body()).isEqualTo(201);
        return claimed.json().get("robot_id").asText();
    }
}
