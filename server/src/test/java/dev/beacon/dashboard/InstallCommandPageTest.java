package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The one-line install command on the API Management page, over plain HTTP: the public URL when the server has one,
 * else the URL the browser used, both beside a new token and in the token list. Which database holds the token does
 * not matter to the line, so one (SQLite) is enough; the browser test clicks its Copy buttons.
 */
class InstallCommandPageTest {
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static ServerConfig withPublicUrl(ServerConfig config, String publicUrl) {
        return new ServerConfig(config.host(), config.port(), config.dataDir(), config.databaseUrl(), publicUrl, config.tlsCert(),
                config.tlsKey(), config.secretKeyHex(), config.adminPassword(), config.heartbeatIntervalSeconds(), config.refusalsPerMinute(),
                config.agentConnectsPerSecond(), config.clock(), config.ticker(), config.downloadsDir(), config.trustedProxies());
    }

    @Test
    void a_new_token_is_shown_with_the_install_line_for_the_public_url() throws Exception {
        server = TestServer.start(Backend.SQLITE, config -> withPublicUrl(config, "https://beacon.example/"));
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        String cookie = signIn();

        HttpResponse<String> created = post("/ui/enrollment-tokens", cookie, "_csrf=" + csrf(cookie) + "&name=batch&site_id=" + place[0]
                + "&fleet_id=" + place[1] + "&max_uses=3&expires_in_hours=24");
        assertThat(created.statusCode()).isEqualTo(303);
        String page = get("/", cookie).body();

        String line = "curl -fsSL https://beacon.example/install.sh | sudo sh -s -- --name &#34;$(hostname)&#34;";
        assertThat(page).contains("id=\"reveal-install-line\"", "value=\"" + line + "\"",
                "value=\"beacon-agent enroll --server https://beacon.example --name &#34;$(hostname)&#34;\"",
                "id=\"tokens-install-line\"", "data-copy-text=\"" + line + "\"");
        assertThat(page).doesNotContain("--insecure</code>. Prefer");
    }

    @Test
    void without_a_public_url_the_line_names_the_url_the_browser_used() throws Exception {
        server = TestServer.start(Backend.SQLITE);
        server.enrollmentKey(1);
        String cookie = signIn();

        String fragment = get("/fragments/tokens", cookie).body();
        String remote = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/fragments/tokens")).header("Cookie", cookie)
                .header("X-Forwarded-Host", "evil.example").build(), HttpResponse.BodyHandlers.ofString()).body();

        assertThat(fragment).contains("curl -fsSL " + server.baseUrl() + "/install.sh | sudo sh -s -- --name")
                .doesNotContain("--insecure</code>"); // loopback: the script accepts plain http
        assertThat(remote).doesNotContain("evil.example");
    }

    @Test
    void a_plain_http_public_url_to_another_host_comes_with_the_insecure_warning() throws Exception {
        server = TestServer.start(Backend.SQLITE, config -> withPublicUrl(config, "http://robots.lan:8080"));
        server.enrollmentKey(1);

        String fragment = get("/fragments/tokens", signIn()).body();

        assertThat(fragment).contains("curl -fsSL http://robots.lan:8080/install.sh", "the script refuses that unless you add <code>--insecure</code>");
    }

    private String signIn() throws Exception {
        HttpResponse<String> login = post("/login", null, "username=admin&password=" + URLEncoder.encode("test-password", StandardCharsets.UTF_8));
        assertThat(login.statusCode()).isEqualTo(303);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private String csrf(String cookie) throws Exception {
        Matcher matcher = CSRF.matcher(get("/sites", cookie).body());
        assertThat(matcher.find()).isTrue();
        return matcher.group(1);
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Cookie", cookie).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String cookie, String body) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
        if (cookie != null) {
            builder.header("Cookie", cookie);
        }
        return http.send(builder.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
