package dev.beacon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Where refused sign-ins and refused enrollments land: a known user's or key's organization, or else the instance log
 * that only instance admins see — over the API and on the dashboard's pages, on both databases.
 */
@BeaconTest
class InstanceAuditTest {
    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        cli("admin", "org", "create", "--name", "acme");
        cli("admin", "org", "create", "--name", "other");
    }

    @Test
    void a_refused_sign_in_of_a_known_user_shows_in_each_of_the_users_organizations_and_nowhere_else() throws Exception {
        createUser("dana", "operator", "default", "dana-password");
        createUser("dana", "viewer", "acme", "ignored-for-an-existing-user");
        createUser("ada", "admin", "acme", "ada-password");
        createUser("otto", "admin", "other", "otto-password");
        String acmeKey = server.createApiKey("acme-admin", "admin", "acme");
        String otherKey = server.createApiKey("other-admin", "admin", "other");

        assertThat(signInStatus("dana", "not-her-password")).isEqualTo(401);

        for (String key : List.of(server.adminKey(), acmeKey)) {
            JsonNode items = server.get("/api/audit?action=user.sign_in_refused", key).json().get("items");
            assertThat(items).hasSize(1);
            assertThat(items.get(0).get("detail").asText()).isEqualTo("username=dana");
            assertThat(items.get(0).get("target_type").asText()).isEqualTo("user");
            assertThat(items.get(0).get("ip").asText()).isNotBlank();
        }
        assertThat(server.get("/api/audit?action=user.sign_in_refused", otherKey).json().get("items")).isEmpty();
        assertThat(get("/api/instance/audit", signIn("admin", "test-password")).body()).doesNotContain("username=dana");

        assertThat(get("/audit?action=user.sign_in_refused", signIn("admin", "test-password")).body()).contains("username=dana");
        assertThat(get("/audit?action=user.sign_in_refused", signIn("ada", "ada-password")).body()).contains("username=dana");
        assertThat(get("/audit?action=user.sign_in_refused", signIn("otto", "otto-password")).body()).doesNotContain("username=dana");
    }

    @Test
    void an_unknown_user_and_unknown_or_malformed_enrollment_keys_show_only_to_instance_admins() throws Exception {
        createUser("ada", "admin", "acme", "ada-password");
        createInstanceAdmin("ivy", "other", "ivy-password");
        String acmeKey = server.createApiKey("acme-admin", "admin", "acme");

        assertThat(signInStatus("ghost", "whatever")).isEqualTo(401);
        assertThat(server.claim("garbage", "bot-1").code()).isEqualTo("enrollment_key_malformed");
        String unknown = TokenFormat.generate(TokenKind.ENROLLMENT).value();
        assertThat(server.claim(unknown, "bot-2").code()).isEqualTo("enrollment_key_unknown");

        for (String key : List.of(server.adminKey(), acmeKey)) {
            String orgLog = server.get("/api/audit", key).body();
            assertThat(orgLog).doesNotContain("username=ghost", "enrollment.refused");
        }
        assertThat(get("/audit", signIn("ada", "ada-password")).body()).doesNotContain("username=ghost", "enrollment_key_unknown");

        // The bootstrap admin is an instance admin; so is a user created with --instance-admin.
        for (String cookie : List.of(signIn("admin", "test-password"), signIn("ivy", "ivy-password"))) {
            List<JsonNode> events = allInstanceEvents(cookie);
            assertThat(events).extracting(e -> e.get("action").asText() + " " + e.get("detail").asText()).contains(
                    "user.sign_in_refused username=ghost",
                    "enrollment.refused reason=enrollment_key_malformed prefix=… name=bot-1");
            assertThat(events).anySatisfy(e -> assertThat(e.get("detail").asText())
                    .startsWith("reason=enrollment_key_unknown prefix=" + unknown.substring(0, 16)).doesNotContain(unknown));
            assertThat(events).allSatisfy(e -> assertThat(e.get("org_id").isNull()).isTrue());

            HttpResponse<String> page = get("/instance/audit", cookie);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Instance audit log", "username=ghost", "enrollment_key_malformed", "enrollment_key_unknown");
            assertThat(get("/", cookie).body()).contains("href=\"/instance/audit\"");
        }
    }

    @Test
    void organization_admins_and_api_keys_are_refused_the_instance_audit() throws Exception {
        createUser("ada", "admin", "acme", "ada-password");
        assertThat(signInStatus("ghost", "whatever")).isEqualTo(401);
        String ada = signIn("ada", "ada-password");

        HttpResponse<String> api = get("/api/instance/audit", ada);
        assertThat(api.statusCode()).isEqualTo(403);
        assertThat(api.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(api.body()).contains("\"code\":\"forbidden\"").doesNotContain("ghost");
        HttpResponse<String> page = send(HttpRequest.newBuilder(uri("/instance/audit")).header("Cookie", ada).header("Accept", "text/html").GET());
        assertThat(page.statusCode()).isEqualTo(403);
        assertThat(page.body()).contains("Only instance admins").doesNotContain("ghost");
        assertThat(get("/", ada).body()).doesNotContain("/instance/audit");

        // An API key belongs to one organization: even an admin key of the bootstrap admin's organization is refused.
        TestServer.Response withKey = server.get("/api/instance/audit", server.adminKey());
        assertThat(withKey.status()).isEqualTo(403);
        assertThat(withKey.code()).isEqualTo("forbidden");
        assertThat(server.get("/api/instance/audit", null).status()).isEqualTo(401);

        cli("admin", "user", "set-instance-admin", "--username", "ada");
        assertThat(get("/api/instance/audit", ada).body()).contains("username=ghost", "user.instance_admin_granted");
        cli("admin", "user", "set-instance-admin", "--username", "ada", "--off");
        assertThat(get("/api/instance/audit", ada).statusCode()).isEqualTo(403);
    }

    @Test
    void refused_claims_with_a_known_key_go_to_the_keys_organization_only() throws Exception {
        String acmeKey = server.createApiKey("acme-admin", "admin", "acme");
        JsonNode revoked = server.enrollmentKey(5);
        server.post("/api/enrollment-keys/" + revoked.get("id").asText() + "/revoke", "{}", server.adminKey());
        assertThat(server.claim(revoked.get("key_value").asText(), "bot-r").code()).isEqualTo("enrollment_key_revoked");
        String[] place = server.siteAndFleet("lan", "lan-fleet");
        JsonNode lanOnly = server.post("/api/enrollment-keys", "{\"site_id\":\"" + place[0] + "\",\"fleet_id\":\"" + place[1]
                + "\",\"name\":\"lan-only\",\"allowed_cidrs\":[\"10.20.0.0/16\"]}", server.adminKey()).json();
        assertThat(server.claim(lanOnly.get("key_value").asText(), "bot-c").code()).isEqualTo("enrollment_source_not_allowed");
        JsonNode open = server.enrollmentKey(5);
        assertThat(server.claim(open.get("key_value").asText(), "bot-n").status()).isEqualTo(201);
        assertThat(server.claim(open.get("key_value").asText(), "bot-n").code()).isEqualTo("robot_name_taken");

        String defaultLog = server.get("/api/audit?action=enrollment.refused", server.adminKey()).body();
        assertThat(defaultLog).contains("reason=enrollment_key_revoked", "reason=enrollment_source_not_allowed", "reason=robot_name_taken");
        assertThat(server.get("/api/audit?action=enrollment.refused", acmeKey).json().get("items")).isEmpty();
        assertThat(get("/api/instance/audit?action=enrollment.refused", signIn("admin", "test-password")).body()).contains("\"items\":[]");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Every instance event, read page by page with a small limit to go through the cursor. */
    private List<JsonNode> allInstanceEvents(String cookie) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> page = get("/api/instance/audit?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), cookie);
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            JsonNode body = TestServer.JSON.readTree(page.body());
            assertThat(body.get("items").size()).isLessThanOrEqualTo(1);
            body.get("items").forEach(events::add);
            cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
        } while (cursor != null);
        return events;
    }

    private void cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl()));
        TestServer.CliResult result = TestServer.runCli(all.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.err()).isZero();
    }

    private void createUser(String username, String role, String org, String password) {
        var result = TestServer.runCliWithStdin(password + "\n", "admin", "user", "create", "--username", username, "--role", role,
                "--org", org, "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
        assertThat(result.exitCode()).as(result.err()).isZero();
    }

    private void createInstanceAdmin(String username, String org, String password) {
        var result = TestServer.runCliWithStdin(password + "\n", "admin", "user", "create", "--username", username, "--role", "viewer",
                "--org", org, "--instance-admin", "--password-stdin", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl());
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("instance admin");
    }

    private int signInStatus(String username, String password) throws Exception {
        return form("/login", Map.of("username", username, "password", password)).statusCode();
    }

    private String signIn(String username, String password) throws Exception {
        HttpResponse<String> login = form("/login", Map.of("username", username, "password", password));
        assertThat(login.statusCode()).as(login.body()).isEqualTo(303);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private URI uri(String path) {
        return URI.create(server.baseUrl() + path);
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Cookie", cookie).GET());
    }

    private HttpResponse<String> form(String path, Map<String, String> fields) throws Exception {
        String body = new LinkedHashMap<>(fields).entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return http.send(builder.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
