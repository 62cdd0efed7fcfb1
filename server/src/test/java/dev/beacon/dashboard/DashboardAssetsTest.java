package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The dashboard's assets over HTTP, on both databases: pages link them by a name carrying the hash of their content,
 * served immutable and gzipped; plain names still answer with a short cache; a hash that is not the current one gets
 * the current file uncached (a rolling upgrade may ask one node for another's version).
 */
@BeaconTest
class DashboardAssetsTest {
    private static final Pattern ASSET_LINK = Pattern.compile("(?:href|src)=\"(/assets/[^\"]+)\"");

    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void pages_link_every_asset_by_a_name_carrying_the_hash_of_its_content() throws Exception {
        Set<String> links = new LinkedHashSet<>(links(new String(get("/login", null).body(), java.nio.charset.StandardCharsets.UTF_8)));
        try (DashboardSession session = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            links.addAll(links(session.page("/")));
            links.addAll(links(session.page("/api-reference")));
        }
        assertThat(links).contains(Assets.url("beacon.css"), Assets.url("beacon.js"), Assets.url("beacon.svg"), Assets.url("tables.js"),
                Assets.url("api-reference.js"));
        for (String link : links) {
            String name = link.substring("/assets/".length()).replaceFirst("\\.[0-9a-f]{10}(\\.[^.]+)$", "$1");
            byte[] original = classPathBytes(name);
            assertThat(link).as("the hash is the start of the SHA-256 of " + name)
                    .contains("." + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(original)).substring(0, 10) + ".");
            HttpResponse<byte[]> response = get(link, null);
            assertThat(response.statusCode()).as(link).isEqualTo(200);
            assertThat(response.headers().firstValue("Cache-Control")).as(link).hasValue("public, max-age=31536000, immutable");
            assertThat(response.body()).as(link).isEqualTo(original);
        }
    }

    @Test
    void text_assets_are_gzipped_for_clients_that_accept_it_and_plain_for_others() throws Exception {
        String css = Assets.url("beacon.css");
        byte[] original = classPathBytes("beacon.css");

        HttpResponse<byte[]> gzipped = get(css, "gzip, deflate, br");
        assertThat(gzipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gzipped.headers().firstValue("Vary")).hasValue("Accept-Encoding");
        assertThat(gzipped.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/css");
        assertThat(gzipped.body().length).isLessThan(original.length / 2);
        try (InputStream unzip = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
            assertThat(unzip.readAllBytes()).isEqualTo(original);
        }

        for (String refusing : new String[] {null, "identity", "gzip;q=0, *"}) {
            HttpResponse<byte[]> plain = get(css, refusing);
            assertThat(plain.headers().firstValue("Content-Encoding")).as(String.valueOf(refusing)).isEmpty();
            assertThat(plain.body()).as(String.valueOf(refusing)).isEqualTo(original);
        }
    }

    @Test
    void old_plain_names_still_work_with_a_short_cache_and_a_validator() throws Exception {
        HttpResponse<byte[]> plain = get("/assets/beacon.js", null);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
        assertThat(plain.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
        assertThat(plain.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(plain.body()).isEqualTo(classPathBytes("beacon.js"));

        String etag = plain.headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> again = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/assets/beacon.js"))
                .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
    }

    @Test
    void a_hash_that_is_not_the_current_one_gets_the_current_file_uncached_and_an_unknown_file_a_404() throws Exception {
        HttpResponse<byte[]> otherVersion = get("/assets/beacon.0123456789.css", null);
        assertThat(otherVersion.statusCode()).isEqualTo(200);
        assertThat(otherVersion.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(otherVersion.body()).isEqualTo(classPathBytes("beacon.css"));

        for (String missing : new String[] {"/assets/nothing.css", "/assets/nothing.0123456789.css", "/assets/beacon.css/x"}) {
            assertThat(get(missing, null).statusCode()).as(missing).isEqualTo(404);
        }
    }

    private static Set<String> links(String html) {
        Set<String> links = new LinkedHashSet<>();
        Matcher matcher = ASSET_LINK.matcher(html);
        while (matcher.find()) {
            links.add(matcher.group(1));
        }
        return links;
    }

    private HttpResponse<byte[]> get(String path, String acceptEncoding) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(20));
        if (acceptEncoding != null) {
            request.header("Accept-Encoding", acceptEncoding);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] classPathBytes(String name) throws IOException {
        try (InputStream in = DashboardAssetsTest.class.getResourceAsStream(Assets.FOLDER + "/" + name)) {
            assertThat(in).as(name + " on the class path").isNotNull();
            return in.readAllBytes();
        }
    }
}
