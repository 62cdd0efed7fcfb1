package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The dashboard names things people know: jobs by kind, machines, fleets and keys by name (ids on hover), targets
 * and durations in words, enrollments credited to their token; and it warns of API keys long unused and enrollment
 * tokens about to expire. On both databases, with a clock the test moves.
 */
@BeaconTest
class NamesAndWarningsTest implements BeaconServerExtension.ConfiguresServer {
    static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(T0);

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock);
    }

    @Test
    void the_audit_log_names_machines_keys_and_credits_an_enrollment_to_its_token() throws Exception {
        JsonNode token = server.enrollmentKey(1);
        String robotId = server.claim(token.get("key_value").asText(), "dock-robot-7").json().get("robot_id").asText();
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");
        assertThat(admin.post("/ui/api-keys", "name", "ci-prod", "scopes", "jobs").statusCode()).isEqualTo(303);

        String audit = admin.page("/audit");
        String enrolled = row(audit, "data-action=\"robot.enrolled\"");
        assertThat(enrolled).contains("enrollment token " + token.get("name").asText())
                .contains("title=\"" + token.get("id").asText() + "\"")
                .contains("machine dock-robot-7").contains("title=\"" + robotId + "\"")
                .doesNotContain(">anonymous<");
        assertThat(row(audit, "API key ci-prod")).contains("data-action=\"api_key.created\"").contains("user admin");
        assertThat(row(audit, "data-action=\"enrollment_key.created\"")).contains("enrollment token " + token.get("name").asText());
        assertThat(admin.page("/fragments/audit")).doesNotContain(">robot " + robotId);
        // The API's audit events keep their fields and meanings: an enrollment's actor is still anonymous.
        JsonNode events = server.get("/api/audit?action=robot.enrolled", server.adminKey()).json().get("items");
        assertThat(events.get(0).get("actor_type").asText()).isEqualTo("anonymous");
    }

    @Test
    void jobs_show_their_kind_machine_target_and_durations_in_words_with_ids_on_hover() throws Exception {
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        String robotId = server.claim(server.enrollmentKey(1).get("key_value").asText(), "dock-robot-7").json().get("robot_id").asText();
        String pinned = server.post("/api/jobs", "{\"kind\":\"backup\",\"target\":{\"robot_id\":\"" + robotId
                + "\",\"capabilities\":[\"gpu\"]}}", server.adminKey()).json().get("id").asText();
        String inFleet = server.post("/api/jobs", "{\"kind\":\"echo\",\"target\":{\"fleet_id\":\"" + place[1] + "\"}}", server.adminKey())
                .json().get("id").asText();
        clock.advance(Duration.ofSeconds(75));
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");

        String list = admin.page("/fragments/jobs");
        String pinnedRow = row(list, pinned);
        assertThat(pinnedRow).contains("title=\"Job " + pinned + "\">backup</a>")
                .contains("machine dock-robot-7 · needs gpu").contains("queued for 1 min 15 s");
        assertThat(row(list, inFleet)).contains(">echo</a>").contains("fleet dock-2");

        String page = admin.page("/jobs/" + pinned);
        assertThat(page).contains("data-testid=\"job-target\">machine dock-robot-7 · needs gpu</dd>");
        assertThat(page).contains("data-testid=\"job-queued-for\">1 min 15 s</dd>").contains(pinned);
        Matcher why = Pattern.compile("<strong>Why is it waiting\\?</strong>(.*?)</div>").matcher(page);
        assertThat(why.find()).isTrue();
        assertThat(why.group(1)).contains("<code>").doesNotContain("`").doesNotContainPattern("(?<![\\w-])robot(?![\\w-])");
    }

    @Test
    void api_keys_long_unused_and_tokens_about_to_expire_carry_a_warning_in_words() throws Exception {
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        server.post("/api/enrollment-keys", "{\"site_id\":\"" + place[0] + "\",\"fleet_id\":\"" + place[1]
                + "\",\"name\":\"short-lived\",\"expires_in_hours\":48}", server.adminKey());
        // Through the API, so that the key is created by the server's clock (the CLI would use the real one).
        String unusedKey = server.post("/api/api-keys", "{\"name\":\"never-called\",\"scopes\":[\"read\"]}", server.adminKey())
                .json().get("key").asText();
        FormClient early = FormClient.signIn(server.baseUrl(), "admin", "test-password");
        assertThat(early.page("/fragments/apikeys")).doesNotContain("data-key-warning");
        assertThat(early.page("/fragments/tokens")).doesNotContain("data-token-warning");

        clock.advance(Duration.ofHours(30));
        FormClient later = FormClient.signIn(server.baseUrl(), "admin", "test-password");
        assertThat(row(later.page("/fragments/tokens"), "short-lived")).contains("data-token-warning>Expires in 18 h<");

        clock.advance(Duration.ofDays(45).minusHours(30));
        FormClient muchLater = FormClient.signIn(server.baseUrl(), "admin", "test-password");
        String keys = muchLater.page("/fragments/apikeys");
        assertThat(row(keys, "never-called")).contains("data-key-warning>Never used in 45 days<");
        // The test's admin key was last used when the test set up, 45 days ago.
        assertThat(keys).contains("data-key-warning>Unused for 45 days<");

        assertThat(server.get("/api/jobs", unusedKey).status()).isEqualTo(200);
        assertThat(row(FormClient.signIn(server.baseUrl(), "admin", "test-password").page("/fragments/apikeys"), "never-called"))
                .doesNotContain("data-key-warning");
    }

    /** The table row that contains {@code marker}. */
    private static String row(String html, String marker) {
        int at = html.indexOf(marker);
        assertThat(at).as("a row with " + marker).isNotNegative();
        int start = html.lastIndexOf("<tr", at);
        return html.substring(start, html.indexOf("</tr>", at));
    }
}
