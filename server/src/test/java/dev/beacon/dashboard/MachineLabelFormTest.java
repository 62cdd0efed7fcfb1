package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The labels card on a machine's page over plain HTTP, on both databases: an admin sets, overrides and removes
 * operator labels with its form (the API shows the same), a bad key comes back as a message, and a viewer sees the
 * labels without the form and is refused.
 */
@BeaconTest
class MachineLabelFormTest {
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");

    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    String robotId;

    @BeforeEach
    void enroll() {
        String key = server.enrollmentKey(5).get("key_value").asText();
        TestServer.Response enrolled = server.post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"lab-bot\","
                + "\"labels\":{\"zone\":\"a\"}}", null);
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        robotId = enrolled.json().get("robot_id").asText();
    }

    @Test
    void an_admin_sets_overrides_and_removes_labels_on_the_machine_page() throws Exception {
        String admin = signIn("admin", "test-password");
        String page = get("/machines/" + robotId, admin).body();
        assertThat(page).contains("id=\"machine-labels\"", "Set by an operator", "None yet.", "Advertised by the machine",
                "<span class=\"chip\">zone=a</span>", "action=\"/ui/machines/" + robotId + "/labels\"", "Set label");

        HttpResponse<String> set = form("/ui/machines/" + robotId + "/labels", admin, Map.of("_csrf", csrf(admin), "key", "rack", "value", "7"));
        assertThat(set.statusCode()).isEqualTo(303);
        assertThat(set.headers().firstValue("Location")).hasValue("/machines/" + robotId + "#machine-labels");
        page = get("/machines/" + robotId, admin).body();
        assertThat(page).contains("Label rack=7 set on", "<span class=\"chip\">rack=7</span>", "aria-label=\"Remove label rack\"");
        assertThat(operatorLabels()).isEqualTo("{\"rack\":\"7\"}");

        form("/ui/machines/" + robotId + "/labels", admin, Map.of("_csrf", csrf(admin), "key", "zone", "value", "b"));
        assertThat(get("/machines/" + robotId, admin).body()).contains("overridden by the operator", "<span class=\"chip\">zone=b</span>");
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("labels").toString())
                .isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");

        HttpResponse<String> bad = form("/ui/machines/" + robotId + "/labels", admin, Map.of("_csrf", csrf(admin), "key", "bad key", "value", "x"));
        assertThat(bad.statusCode()).isEqualTo(303);
        assertThat(get("/machines/" + robotId, admin).body()).contains("is not allowed: use 1–63 letters, digits");
        assertThat(operatorLabels()).isEqualTo("{\"rack\":\"7\",\"zone\":\"b\"}");

        form("/ui/machines/" + robotId + "/labels/remove", admin, Map.of("_csrf", csrf(admin), "key", "zone"));
        assertThat(get("/machines/" + robotId, admin).body()).contains("applies again").doesNotContain("<span class=\"chip\">zone=b</span>");
        assertThat(operatorLabels()).isEqualTo("{\"rack\":\"7\"}");
        assertThat(server.get("/api/audit?action=robot.labels_set", server.adminKey()).json().get("items").get(0).get("actor_type").asText())
                .isEqualTo("user");
    }

    @Test
    void a_viewer_sees_the_labels_but_no_form_and_cannot_change_them() throws Exception {
        var created = TestServer.runCliWithStdin("viewer-password\n", "admin", "user", "create", "--username", "vic", "--role", "viewer",
                "--org", "default", "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
        assertThat(created.exitCode()).as(created.err()).isZero();
        String viewer = signIn("vic", "viewer-password");

        String page = get("/machines/" + robotId, viewer).body();
        assertThat(page).contains("Set by an operator", "<span class=\"chip\">zone=a</span>").doesNotContain("Set label", "labels/remove");
        HttpResponse<String> refused = form("/ui/machines/" + robotId + "/labels", viewer,
                Map.of("_csrf", csrf(viewer), "key", "rack", "value", "7", "back", "/machines/" + robotId));
        assertThat(refused.statusCode()).isEqualTo(303);
        assertThat(get("/machines/" + robotId, viewer).body()).contains("Only admins of default can do this; you are viewer.");
        assertThat(operatorLabels()).isEqualTo("{}");
    }

    private String operatorLabels() {
        return server.get("/api/robots/" + robotId, server.adminKey()).json().get("operator_labels").toString();
    }

    private String signIn(String username, String password) throws Exception {
        HttpResponse<String> login = form("/login", null, Map.of("username", username, "password", password));
        assertThat(login.statusCode()).as(login.body()).isEqualTo(303);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private String csrf(String cookie) throws Exception {
        Matcher matcher = CSRF.matcher(get("/sites", cookie).body());
        assertThat(matcher.find()).isTrue();
        return matcher.group(1);
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Cookie", cookie).GET()
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> form(String path, String cookie, Map<String, String> fields) throws Exception {
        String body = new LinkedHashMap<>(fields).entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", server.baseUrl())
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
