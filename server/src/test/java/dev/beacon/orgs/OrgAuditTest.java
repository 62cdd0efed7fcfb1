package dev.beacon.orgs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Creating sites and fleets is audited alike whether an API key or a dashboard user does it, on both databases. */
@ParameterizedClass
@EnumSource(Backend.class)
class OrgAuditTest {
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");

    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        server = TestServer.start(backend);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void creating_a_site_and_a_fleet_through_the_api_writes_the_same_audit_events_as_through_the_dashboard() throws Exception {
        String[] viaApi = server.siteAndFleet("api-site", "api-fleet");

        String cookie = signIn();
        String csrf = csrf(cookie);
        assertThat(form("/ui/sites", cookie, Map.of("_csrf", csrf, "name", "ui-site")).statusCode()).isEqualTo(303);
        String uiSite = idNamed("/api/sites", "ui-site");
        assertThat(form("/ui/fleets", cookie, Map.of("_csrf", csrf, "site_id", uiSite, "name", "ui-fleet")).statusCode()).isEqualTo(303);
        String uiFleet = idNamed("/api/fleets", "ui-fleet");

        List<String> api = events(viaApi[0], viaApi[1]);
        List<String> dashboard = events(uiSite, uiFleet);
        assertThat(api).containsExactly("site.created site name=api-site by api_key", "fleet.created fleet name=api-fleet site=" + viaApi[0] + " by api_key");
        assertThat(dashboard).containsExactly("site.created site name=ui-site by user", "fleet.created fleet name=ui-fleet site=" + uiSite + " by user");
    }

    @Test
    void a_duplicate_site_name_is_refused_alike_on_the_api_and_the_dashboard_and_audits_nothing() throws Exception {
        server.siteAndFleet("dock", "dock-1");
        TestServer.Response again = server.post("/api/sites", "{\"name\":\"dock\"}", server.adminKey());
        assertThat(again.status()).isEqualTo(409);

        String cookie = signIn();
        HttpResponse<String> refused = form("/ui/sites", cookie, Map.of("_csrf", csrf(cookie), "name", "dock"));
        assertThat(refused.statusCode()).isEqualTo(303);
        assertThat(get("/sites", cookie).body()).contains(again.json().get("detail").asText());
        assertThat(server.get("/api/audit?action=site.created", server.adminKey()).json().get("items")).hasSize(1);
    }

    /** "action target_type detail by actor_type" of the audit events about these objects, oldest first. */
    private List<String> events(String... targetIds) {
        List<String> ids = List.of(targetIds);
        List<String> events = new ArrayList<>();
        for (JsonNode event : server.get("/api/audit?limit=100", server.adminKey()).json().get("items")) {
            if (ids.contains(event.path("target_id").asText())) {
                events.add(0, event.get("action").asText() + " " + event.get("target_type").asText() + " "
                        + event.get("detail").asText() + " by " + event.get("actor_type").asText());
            }
        }
        return events;
    }

    private String idNamed(String listPath, String name) {
        for (JsonNode item : server.get(listPath, server.adminKey()).json().get("items")) {
            if (name.equals(item.get("name").asText())) {
                return item.get("id").asText();
            }
        }
        throw new AssertionError("nothing named " + name + " in " + listPath);
    }

    private String signIn() throws Exception {
        HttpResponse<String> login = form("/login", null, Map.of("username", "admin", "password", "test-password"));
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
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Cookie", cookie).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> form(String path, String cookie, Map<String, String> fields) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(fields.entrySet().stream()
                        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                        .collect(Collectors.joining("&"))));
        if (cookie != null) {
            builder.header("Cookie", cookie);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }
}
