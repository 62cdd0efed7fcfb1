package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

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
 * A person signed in to the dashboard who posts its forms as a browser would (URL-encoded, with the session's CSRF
 * token, repeated fields for ticked checkboxes) and reads pages, without following redirects. For tests; not
 * thread-safe.
 */
final class FormClient {
    private static final Pattern CSRF = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">");
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String baseUrl;
    private final String cookie;
    private final String csrf;

    private FormClient(String baseUrl, String cookie, String csrf) {
        this.baseUrl = baseUrl;
        this.cookie = cookie;
        this.csrf = csrf;
    }

    /** Signs in as {@code username} on the server at {@code baseUrl}. */
    static FormClient signIn(String baseUrl, String username, String password) throws Exception {
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encode(List.of(Map.entry("username", username), Map.entry("password", password)))))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(303);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        FormClient client = new FormClient(baseUrl, cookie, null);
        Matcher matcher = CSRF.matcher(client.get("/sites").body());
        assertThat(matcher.find()).isTrue();
        return new FormClient(baseUrl, cookie, matcher.group(1));
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Cookie", cookie).header("Accept", "text/html")
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body of a page that must answer 200. */
    String page(String path) throws Exception {
        HttpResponse<String> response = get(path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    /** Posts {@code fields} (name, value pairs; a name may repeat) with the CSRF token to {@code path}. */
    HttpResponse<String> post(String path, String... namesAndValues) throws Exception {
        List<Map.Entry<String, String>> fields = new java.util.ArrayList<>();
        fields.add(Map.entry("_csrf", csrf));
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            fields.add(Map.entry(namesAndValues[i], namesAndValues[i + 1]));
        }
        return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(encode(fields)))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The start tag of the element with {@code id} in {@code html}, to check its attributes. */
    static String tag(String html, String id) {
        int at = html.indexOf("id=\"" + id + "\"");
        assertThat(at).as("element #" + id).isNotNegative();
        int start = html.lastIndexOf('<', at);
        return html.substring(start, html.indexOf('>', at) + 1);
    }

    /** The text of the element with {@code id} (up to the first closing tag of its name), markup removed. */
    static String text(String html, String id) {
        String tag = tag(html, id);
        String name = tag.substring(1).split("[\\s>]", 2)[0];
        int start = html.indexOf(tag) + tag.length();
        return html.substring(start, html.indexOf("</" + name + ">", start)).replaceAll("<[^>]+>", "");
    }

    private static String encode(List<Map.Entry<String, String>> fields) {
        return fields.stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
