package dev.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.CapturingAppender;
import dev.beacon.testing.TestServer;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Runs last: scans everything the suite logged for secrets. */
@Order(Integer.MAX_VALUE)
class SecretsNeverLoggedTest {
    private static final Pattern SECRET = Pattern.compile("rf_(enroll|robot|api)_[0-9a-f]{8,}");

    @Test
    void no_secret_appears_in_the_log_of_the_whole_suite() {
        // Also exercise every secret path once here, so the scan means something when run alone.
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            String key = server.enrollmentKey(1).get("key_value").asText();
            server.claim(key, "scan-bot");
            server.claim(key, "scan-bot-2");
            server.claim(key.substring(0, 30), "scan-bot-3");
            server.get("/api/api-keys", server.adminKey());
            server.get("/api/api-keys", server.adminKey().substring(0, 20));
        }
        List<String> lines = CapturingAppender.lines();
        assertThat(lines).isNotEmpty();
        assertThat(lines).noneMatch(line -> SECRET.matcher(line).find());
    }
}
