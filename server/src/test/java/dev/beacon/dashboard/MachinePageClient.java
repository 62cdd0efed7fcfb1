package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A person signed in to the dashboard over plain HTTP, for the machine page tests: pages that must answer 200, and
 * form posts with the session's CSRF token (redirects are not followed). Not thread-safe.
 */
final class MachinePageClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");

    private final String baseUrl;
    private final String cookie;

    private MachinePageClient(String baseUrl, String cookie) {
        this.baseUrl = baseUrl;
        this.cookie = cookie;
    }

    static MachinePageClient signIn(TestServer server, String username, String password) throws Exception {
        HttpResponse<String> login = send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encode(List.of(Map.entry("username", username), Map.entry("password", password))))));
        assertThat(login.statusCode()).as(login.body()).isEqualTo(303);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return new MachinePageClient(server.baseUrl(), setCookie.substring(0, setCookie.indexOf(';')));
    }

    /** The body of a page or fragment that must answer 200. */
    String page(String path) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Cookie", cookie).GET());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    /** Posts a form with the CSRF token added; returns where it redirects to. */
    String post(String path, List<Map.Entry<String, String>> fields) throws Exception {
        Matcher matcher = CSRF.matcher(page("/sites"));
        assertThat(matcher.find()).isTrue();
        List<Map.Entry<String, String>> all = new java.util.ArrayList<>(fields);
        all.add(Map.entry("_csrf", matcher.group(1)));
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(encode(all))));
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(303);
        return response.headers().firstValue("Location").orElseThrow();
    }

    private static HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return HTTP.send(builder.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(List<Map.Entry<String, String>> fields) {
        return fields.stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }
}
