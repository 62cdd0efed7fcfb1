package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Sessions, CSRF, roles and live updates of the dashboard over plain HTTP, on both databases. The browser tests
 * ({@link DashboardBrowserTest}) cover the same flows as a person sees them.
 */
@BeaconTest
class DashboardHttpTest {
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");

    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void signing_in_sets_a_hardened_cookie_and_signing_out_ends_the_session() throws Exception {
        HttpResponse<String> login = form("/login", null, Map.of("username", "admin", "password", "test-password", "next", "/jobs"));
        assertThat(login.statusCode()).isEqualTo(303);
        assertThat(login.headers().firstValue("Location")).hasValue("/jobs");
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(DashboardAuth.COOKIE + "=").contains("HttpOnly").containsIgnoringCase("SameSite=Lax").contains("Path=/");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        assertThat(cookie.substring(cookie.indexOf('=') + 1)).matches("[0-9a-f]{64}");

        HttpResponse<String> page = get("/", cookie);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("API Management", "API Keys", "Enrollment Tokens", "VM Machines", "Queue Status");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'self'", "frame-ancestors 'none'");
        assertThat(page.body()).doesNotContain("http://", "https://"); // every asset from Beacon itself

        assertThat(form("/logout", cookie, Map.of("_csrf", csrf(cookie))).statusCode()).isEqualTo(303);
        HttpResponse<String> after = get("/", cookie);
        assertThat(after.statusCode()).isEqualTo(303);
        assertThat(after.headers().firstValue("Location").orElseThrow()).startsWith("/login");
    }

    @Test
    void every_dashboard_page_even_the_404_page_is_no_store_and_carries_the_security_headers() throws Exception {
        String cookie = signIn("admin", "test-password");
        // The page after creating a key shows its secret once: no cache may keep it.
        assertThat(form("/ui/api-keys", cookie, Map.of("_csrf", csrf(cookie), "name", "ci", "scopes", "jobs")).statusCode()).isEqualTo(303);

        for (String path : new String[] {"/", "/jobs", "/sites", "/audit", "/machines/no-such-machine", "/no-such-page",
                "/fragments/apikeys"}) {
            HttpResponse<String> page = send(HttpRequest.newBuilder(uri(path)).header("Cookie", cookie).header("Accept", "text/html").GET());

            assertThat(page.headers().firstValue("Content-Type").orElse("")).as(path).startsWith("text/html");
            assertThat(page.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).as(path).contains("frame-ancestors 'none'");
            assertThat(page.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(page.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
            assertThat(page.headers().firstValue("Referrer-Policy")).as(path).hasValue("same-origin");
        }
        for (String path : new String[] {"/no-such-page", "/login"}) {
            HttpResponse<String> signedOut = send(HttpRequest.newBuilder(uri(path)).header("Accept", "text/html").GET());
            assertThat(signedOut.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(signedOut.headers().firstValue("Content-Security-Policy")).as(path).isPresent();
        }
    }

    @Test
    void wrong_passwords_are_refused_alike_and_then_rate_limited() throws Exception {
        HttpResponse<String> wrong = form("/login", null, Map.of("username", "admin", "password", "nope"));
        HttpResponse<String> unknown = form("/login", null, Map.of("username", "nobody", "password", "nope"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("Wrong username or password.");
        assertThat(unknown.body()).contains("Wrong username or password.");
        assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
        for (int i = 2; i < SignIn.FAILURES_ALLOWED; i++) {
            assertThat(form("/login", null, Map.of("username", "admin", "password", "guess-" + i)).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> limited = form("/login", null, Map.of("username", "admin", "password", "test-password"));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("Too many failed sign-ins");
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(server.get("/api/audit?action=user.sign_in_refused", server.adminKey()).status()).isEqualTo(200);
    }

    @Test
    void state_changes_made_with_a_session_need_its_csrf_token_and_our_origin() throws Exception {
        String cookie = signIn("admin", "test-password");
        String token = csrf(cookie);

        HttpResponse<String> missing = form("/ui/sites", cookie, Map.of("name", "no-token"));
        assertThat(missing.statusCode()).isEqualTo(403);
        assertThat(missing.body()).contains("security token is missing");
        HttpResponse<String> wrong = form("/ui/sites", cookie, Map.of("name", "wrong-token", "_csrf", "0".repeat(64)));
        assertThat(wrong.statusCode()).isEqualTo(403);
        HttpResponse<String> crossSite = send(HttpRequest.newBuilder(uri("/ui/sites")).header("Cookie", cookie)
                .header("Origin", "https://evil.example").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encode(Map.of("name", "cross-site", "_csrf", token)))));
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(server.body(server.get("/api/sites", server.adminKey()))).doesNotContain("no-token", "wrong-token", "cross-site");

        HttpResponse<String> ok = form("/ui/sites", cookie, Map.of("name", "dock-site", "_csrf", token));
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(server.body(server.get("/api/sites", server.adminKey()))).contains("dock-site");

        // The JSON API accepts the session too as documented, with the token in a header for anything that changes state.
        assertThat(send(HttpRequest.newBuilder(uri("/api/sites")).header("Cookie", cookie).GET()).statusCode()).isEqualTo(200);
        HttpResponse<String> apiNoToken = send(HttpRequest.newBuilder(uri("/api/sites")).header("Cookie", cookie)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"api-site\"}")));
        assertThat(apiNoToken.statusCode()).isEqualTo(403);
        assertThat(apiNoToken.body()).contains("\"code\":\"csrf_failed\"");
        HttpResponse<String> apiWithToken = send(HttpRequest.newBuilder(uri("/api/sites")).header("Cookie", cookie)
                .header(DashboardAuth.CSRF_HEADER, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"api-site\"}")));
        assertThat(apiWithToken.statusCode()).isEqualTo(201);
    }

    @Test
    void roles_decide_what_a_user_may_change() throws Exception {
        createUser("olga", "operator", "operator-password", "default");
        createUser("vic", "viewer", "viewer-password", "default");
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");

        String operator = signIn("olga", "operator-password");
        HttpResponse<String> job = form("/ui/jobs", operator, Map.of("_csrf", csrf(operator), "kind", "echo", "fleet_id", place[1],
                "payload", "{\"message\": \"hi\"}"));
        assertThat(job.statusCode()).isEqualTo(303);
        assertThat(job.headers().firstValue("Location").orElseThrow()).startsWith("/jobs/job_");
        HttpResponse<String> key = form("/ui/api-keys", operator, Map.of("_csrf", csrf(operator), "name", "sneaky"));
        assertThat(key.statusCode()).isEqualTo(303);
        assertThat(get("/", operator).body()).contains("Only admins of default can do this; you are operator.");
        assertThat(server.body(server.get("/api/api-keys", server.adminKey()))).doesNotContain("sneaky");

        String viewer = signIn("vic", "viewer-password");
        assertThat(get("/jobs", viewer).body()).doesNotContain("Submit job");
        form("/ui/jobs", viewer, Map.of("_csrf", csrf(viewer), "kind", "echo"));
        assertThat(get("/jobs", viewer).body()).contains("You are a viewer in default");
        HttpResponse<String> apiJob = send(HttpRequest.newBuilder(uri("/api/jobs")).header("Cookie", viewer)
                .header(DashboardAuth.CSRF_HEADER, csrf(viewer)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"echo\"}")));
        assertThat(apiJob.statusCode()).isEqualTo(403);
        assertThat(server.get("/api/jobs", server.adminKey()).json().get("items")).hasSize(1);
    }

    @Test
    void the_organization_switcher_moves_only_between_the_users_organizations() throws Exception {
        assertThat(TestServer.runCli("admin", "org", "create", "--name", "acme", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl()).exitCode()).isZero();
        assertThat(TestServer.runCli("admin", "org", "create", "--name", "other", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl()).exitCode()).isZero();
        createUser("admin", "viewer", "ignored-for-an-existing-user", "acme"); // the bootstrap admin joins acme as a viewer
        server.createApiKey("acme-only-key", "admin", "acme");
        String cookie = signIn("admin", "test-password");
        String page = get("/", cookie).body();
        assertThat(page).contains("default (admin)", "acme (viewer)").doesNotContain("other (");
        String acme = optionValue(page, "acme (viewer)");

        assertThat(form("/ui/org", cookie, Map.of("_csrf", csrf(cookie), "org_id", acme)).statusCode()).isEqualTo(303);
        String inAcme = get("/", cookie).body();
        assertThat(inAcme).contains("Switched to acme", "acme-only-key").doesNotContain("Create API key");

        form("/ui/org", cookie, Map.of("_csrf", csrf(cookie), "org_id", "org_not_mine"));
        assertThat(get("/", cookie).body()).contains("not a member of that organization");
    }

    @Test
    void pages_send_strangers_to_sign_in_and_never_redirect_off_site() throws Exception {
        HttpResponse<String> page = get("/jobs?status=queued", null);
        assertThat(page.statusCode()).isEqualTo(303);
        assertThat(page.headers().firstValue("Location")).hasValue("/login?next=%2Fjobs%3Fstatus%3Dqueued");
        assertThat(get("/fragments/machines", null).statusCode()).isEqualTo(401);
        assertThat(get("/events", null).statusCode()).isEqualTo(401);
        HttpResponse<String> foreignLogin = send(HttpRequest.newBuilder(uri("/login")).header("Origin", "https://evil.example")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encode(Map.of("username", "admin", "password", "test-password")))));
        assertThat(foreignLogin.statusCode()).isEqualTo(403);
        assertThat(foreignLogin.headers().firstValue("Set-Cookie")).isEmpty();
        HttpResponse<String> offsite = form("/login", null, Map.of("username", "admin", "password", "test-password", "next", "//evil.example/x"));
        assertThat(offsite.headers().firstValue("Location")).hasValue("/");
        HttpResponse<String> missing = send(HttpRequest.newBuilder(uri("/machines/rob_missing")).header("Accept", "text/html")
                .header("Cookie", signIn("admin", "test-password")).GET());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        assertThat(missing.body()).contains("Not found");
    }

    @Test
    void sessions_survive_a_server_restart_but_not_a_password_reset() throws Exception {
        String cookie = signIn("admin", "test-password");
        server.restart();
        assertThat(get("/", cookie).statusCode()).isEqualTo(200);
        var reset = TestServer.runCliWithStdin("a-new-password-1\n", "admin", "user", "reset-password", "--username", "admin",
                "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
        assertThat(reset.exitCode()).as(reset.err()).isZero();
        assertThat(get("/", cookie).statusCode()).isEqualTo(303);
        assertThat(signIn("admin", "a-new-password-1")).isNotEqualTo(cookie);
    }

    @Test
    void an_open_dashboard_hears_about_a_new_machine_within_seconds() throws Exception {
        String cookie = signIn("admin", "test-password");
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/events")).header("Cookie", cookie)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            assertThat(nextEvent(reader)).isEqualTo("ready");
            var key = server.enrollmentKey(1);
            assertThat(server.claim(key.get("key_value").asText(), "new-bot").status()).isEqualTo(201);
            CompletableFuture<String> event = CompletableFuture.supplyAsync(() -> {
                try {
                    String name;
                    do {
                        name = nextEvent(reader);
                    } while (name != null && !name.equals("machines"));
                    return name;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(event.get(15, TimeUnit.SECONDS)).isEqualTo("machines");
        }
        assertThat(get("/fragments/machines", cookie).body()).contains("new-bot");
    }

    @Test
    void the_machine_list_pages_through_a_large_fleet() throws Exception {
        var key = server.enrollmentKey(501);
        for (int i = 0; i < 501; i++) {
            assertThat(server.claim(key.get("key_value").asText(), String.format("bot-%03d", i)).status()).isEqualTo(201);
        }
        String cookie = signIn("admin", "test-password");
        // The machines have their own page, 50 to a page: the next links reach every one of them once.
        String page = get("/machines", cookie).body();
        int rows = 0;
        int pages = 1;
        while (true) {
            rows += (int) Pattern.compile("<tr data-machine=").matcher(page).results().count();
            Matcher next = Pattern.compile("href=\"(/machines\\?[^\"]+)\" rel=\"next\"").matcher(page);
            if (!next.find()) {
                break;
            }
            page = get(next.group(1).replace("&amp;", "&"), cookie).body();
            pages++;
        }
        assertThat(rows).isEqualTo(501);
        assertThat(pages).isEqualTo(11);
        assertThat(page).contains("bot-500", "501–501 of 501");
        assertThat(get("/fragments/machines?page=11", cookie).body()).contains("bot-500").doesNotContain("rel=\"next\"");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static String nextEvent(BufferedReader reader) throws java.io.IOException {
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("event:")) {
                return line.substring("event:".length()).strip();
            }
        }
        return null;
    }

    private void createUser(String username, String role, String password, String org) {
        var result = TestServer.runCliWithStdin(password + "\n", "admin", "user", "create", "--username", username, "--role", role,
                "--org", org, "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
        assertThat(result.exitCode()).as(result.err()).isZero();
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

    private static String optionValue(String page, String label) {
        Matcher matcher = Pattern.compile("<option value=\"([^\"]+)\"[^>]*>" + Pattern.quote(label) + "</option>").matcher(page);
        assertThat(matcher.find()).as("option " + label).isTrue();
        return matcher.group(1);
    }

    private URI uri(String path) {
        return URI.create(server.baseUrl() + path);
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).GET();
        if (cookie != null) {
            builder.header("Cookie", cookie);
        }
        return send(builder);
    }

    private HttpResponse<String> form(String path, String cookie, Map<String, String> fields) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encode(fields)));
        if (cookie != null) {
            builder.header("Cookie", cookie);
        }
        return send(builder);
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return http.send(builder.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(Map<String, String> fields) {
        return new LinkedHashMap<>(fields).entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }
}
