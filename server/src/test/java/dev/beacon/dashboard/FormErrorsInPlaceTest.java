package dev.beacon.dashboard;

import static dev.beacon.dashboard.FormClient.tag;
import static dev.beacon.dashboard.FormClient.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * A dashboard form with bad input comes back on its own page with a 4xx status, the message beside the field at fault
 * ({@code aria-invalid}, {@code aria-describedby}) and every typed value kept; nothing is created. On both databases.
 */
@BeaconTest
class FormErrorsInPlaceTest {
    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void invalid_json_in_a_job_submission_is_shown_beside_the_payload_with_every_other_value_kept() throws Exception {
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");

        HttpResponse<String> refused = admin.post("/ui/jobs", "kind", "backup", "robot_id", "", "fleet_id", place[1],
                "capabilities", "gpu, arm64", "labels", "zone=a", "priority", "7", "timeout_s", "120", "max_attempts", "2",
                "payload", "{oops");

        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.headers().firstValue("Location")).isEmpty();
        String page = refused.body();
        assertThat(tag(page, "job-payload")).contains("aria-invalid=\"true\"", "aria-describedby=\"job-payload-error\"", "autofocus");
        assertThat(text(page, "job-payload-error")).contains("The payload must be JSON");
        assertThat(text(page, "job-payload")).isEqualTo("{oops");
        assertThat(tag(page, "job-kind")).contains("value=\"backup\"").doesNotContain("aria-invalid");
        assertThat(tag(page, "job-caps")).contains("value=\"gpu, arm64\"");
        assertThat(tag(page, "job-labels")).contains("value=\"zone=a\"");
        assertThat(tag(page, "job-priority")).contains("value=\"7\"");
        assertThat(tag(page, "job-timeout")).contains("value=\"120\"");
        assertThat(tag(page, "job-attempts")).contains("value=\"2\"");
        assertThat(page).containsPattern("<option value=\"" + place[1] + "\"[^>]*selected");
        assertThat(page).contains("<h1>Jobs</h1>");
        assertThat(server.get("/api/jobs", server.adminKey()).json().get("items")).isEmpty();
    }

    @Test
    void a_job_for_an_unknown_machine_or_with_too_many_attempts_is_refused_beside_that_field() throws Exception {
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");

        HttpResponse<String> unknown = admin.post("/ui/jobs", "kind", "echo", "robot_id", "rob_nope", "payload", "{\"n\": 1}");
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(tag(unknown.body(), "job-robot")).contains("aria-invalid=\"true\"", "aria-describedby=\"job-robot-error\"");
        assertThat(text(unknown.body(), "job-robot-error")).contains("No machine with id", "rob_nope").doesNotContain("robot ");
        assertThat(text(unknown.body(), "job-payload")).isEqualTo("{\"n\": 1}");

        HttpResponse<String> attempts = admin.post("/ui/jobs", "kind", "echo", "max_attempts", "50");
        assertThat(attempts.statusCode()).isEqualTo(400);
        assertThat(text(attempts.body(), "job-attempts-error")).contains("from 1 to 10");
        assertThat(tag(attempts.body(), "job-attempts")).contains("value=\"50\"", "aria-invalid=\"true\"");
        assertThat(server.get("/api/jobs", server.adminKey()).json().get("items")).isEmpty();
    }

    @Test
    void an_api_key_without_a_name_or_a_scope_is_refused_in_place_and_never_becomes_a_jobs_key() throws Exception {
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");
        int keysBefore = server.get("/api/api-keys", server.adminKey()).json().get("items").size();

        HttpResponse<String> nothing = admin.post("/ui/api-keys", "name", "  ");
        assertThat(nothing.statusCode()).isEqualTo(400);
        assertThat(text(nothing.body(), "api-key-name-error")).contains("Give the key a name");
        assertThat(text(nothing.body(), "api-key-scopes-error")).contains("Choose at least one scope");
        assertThat(tag(nothing.body(), "api-key-name")).contains("aria-invalid=\"true\"", "aria-describedby=\"api-key-name-error\"", "autofocus");

        HttpResponse<String> noScope = admin.post("/ui/api-keys", "name", "ci-nightly");
        assertThat(noScope.statusCode()).isEqualTo(400);
        assertThat(tag(noScope.body(), "api-key-name")).contains("value=\"ci-nightly\"").doesNotContain("aria-invalid");
        assertThat(text(noScope.body(), "api-key-scopes-error")).contains("Choose at least one scope.");
        assertThat(noScope.body()).contains("name=\"scopes\" value=\"jobs\" aria-invalid=\"true\" aria-describedby=\"api-key-scopes-error\"");
        assertThat(noScope.body()).doesNotContainPattern("name=\"scopes\" value=\"\\w+\"[^>]*\\bchecked");
        assertThat(noScope.body()).contains("<h1>API Management</h1>").doesNotContain("data-testid=\"revealed-secret\"");

        assertThat(server.get("/api/api-keys", server.adminKey()).json().get("items")).hasSize(keysBefore);
    }

    @Test
    void a_second_usable_key_with_a_name_in_use_is_refused_until_the_first_is_revoked() throws Exception {
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");
        assertThat(admin.post("/ui/api-keys", "name", "ci-prod", "scopes", "jobs").statusCode()).isEqualTo(303);

        HttpResponse<String> duplicate = admin.post("/ui/api-keys", "name", "ci-prod", "scopes", "read", "scopes", "admin");
        assertThat(duplicate.statusCode()).isEqualTo(422);
        assertThat(text(duplicate.body(), "api-key-name-error")).contains("An API key named", "ci-prod", "already exists");
        assertThat(tag(duplicate.body(), "api-key-name")).contains("value=\"ci-prod\"", "aria-invalid=\"true\"");
        assertThat(duplicate.body()).containsPattern("name=\"scopes\" value=\"read\"[^>]*\\bchecked")
                .containsPattern("name=\"scopes\" value=\"admin\"[^>]*\\bchecked")
                .doesNotContainPattern("name=\"scopes\" value=\"jobs\"[^>]*\\bchecked");
        var keys = server.get("/api/api-keys", server.adminKey()).json().get("items");
        String id = null;
        int named = 0;
        for (var key : keys) {
            if (key.get("name").asText().equals("ci-prod")) {
                id = key.get("id").asText();
                named++;
            }
        }
        assertThat(named).isEqualTo(1);

        assertThat(server.delete("/api/api-keys/" + id, server.adminKey()).status()).isEqualTo(200);
        assertThat(admin.post("/ui/api-keys", "name", "ci-prod", "scopes", "jobs").statusCode()).isEqualTo(303);
    }

    @Test
    void an_enrollment_token_with_bad_input_is_refused_beside_each_field_with_the_values_kept() throws Exception {
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        String[] other = server.siteAndFleet("warehouse-b", "dock-9");
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");

        HttpResponse<String> refused = admin.post("/ui/enrollment-tokens", "name", "", "site_id", place[0], "fleet_id", place[1],
                "max_uses", "0", "expires_in_hours", "9999");
        assertThat(refused.statusCode()).isEqualTo(400);
        String page = refused.body();
        assertThat(text(page, "token-name-error")).contains("Give the token a name");
        assertThat(text(page, "token-uses-error")).contains("from 1 to 1000000");
        assertThat(text(page, "token-expiry-error")).contains("from 1 to 8760");
        assertThat(tag(page, "token-name")).contains("aria-invalid=\"true\"", "autofocus");
        assertThat(tag(page, "token-uses")).contains("value=\"0\"", "aria-invalid=\"true\"", "aria-describedby=\"token-uses-error token-uses-hint\"");
        assertThat(tag(page, "token-expiry")).contains("value=\"9999\"", "aria-describedby=\"token-expiry-error\"").doesNotContain("autofocus");
        assertThat(page).containsPattern("<option value=\"" + place[1] + "\"[^>]*selected");

        HttpResponse<String> mismatched = admin.post("/ui/enrollment-tokens", "name", "dock-2 batch", "site_id", place[0],
                "fleet_id", other[1], "max_uses", "5", "expires_in_hours", "48");
        assertThat(mismatched.statusCode()).isEqualTo(422);
        assertThat(text(mismatched.body(), "token-fleet-error")).contains("belongs to another site");
        assertThat(tag(mismatched.body(), "token-name")).contains("value=\"dock-2 batch\"").doesNotContain("aria-invalid");
        assertThat(tag(mismatched.body(), "token-uses")).contains("value=\"5\"");
        assertThat(tag(mismatched.body(), "token-expiry")).contains("value=\"48\"");
        assertThat(server.get("/api/enrollment-keys", server.adminKey()).json().get("items")).isEmpty();

        assertThat(admin.post("/ui/enrollment-tokens", "name", "dock-2 batch", "site_id", place[0], "fleet_id", place[1],
                "max_uses", "5", "expires_in_hours", "48").statusCode()).isEqualTo(303);
    }

    @Test
    void a_users_own_cancel_is_a_neutral_notice_not_an_error() throws Exception {
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        String jobId = server.post("/api/jobs", "{\"kind\":\"backup\",\"target\":{\"fleet_id\":\"" + place[1] + "\"}}", server.adminKey())
                .json().get("id").asText();
        FormClient admin = FormClient.signIn(server.baseUrl(), "admin", "test-password");

        assertThat(admin.post("/ui/jobs/" + jobId + "/cancel").statusCode()).isEqualTo(303);
        String page = admin.page("/jobs/" + jobId);
        assertThat(page).contains("data-testid=\"job-cancelled\"").doesNotContain("flash-error");
        assertThat(page).containsPattern("class=\"flash flash-notice\" role=\"status\" data-testid=\"job-cancelled\"><strong>Cancelled</strong>");
    }
}
