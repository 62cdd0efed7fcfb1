package dev.beacon.downloads;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /downloads/…} and {@code /install.sh} over real HTTP: files with their type, length and ETag, HEAD, the
 * listing's SHA-256, the aliases, refusals of names outside the directory, and the values written into the script.
 * The storage does not matter here, so one database (SQLite) is enough.
 */
class DownloadRoutesTest {
    @TempDir
    Path downloads;
    @TempDir
    Path elsewhere;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start() {
        server = TestServer.start(Backend.SQLITE, config -> config.withDownloadsDir(downloads));
    }

    private byte[] artifact(String name, int size) throws IOException {
        byte[] bytes = new byte[size];
        new Random(name.hashCode()).nextBytes(bytes);
        Files.write(downloads.resolve(name), bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void a_file_is_served_with_its_type_length_and_sha256_etag() throws Exception {
        byte[] deb = artifact("beacon-agent_0.1.0_all.deb", 200_000);
        start();

        HttpResponse<byte[]> response = get("/downloads/beacon-agent_0.1.0_all.deb");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(deb);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/vnd.debian.binary-package");
        assertThat(response.headers().firstValue("Content-Length")).hasValue("200000");
        assertThat(response.headers().firstValue("ETag")).hasValue("\"" + sha256(deb) + "\"");
        assertThat(response.headers().firstValue("Cache-Control").orElseThrow()).contains("max-age");

        HttpResponse<byte[]> again = get("/downloads/beacon-agent_0.1.0_all.deb", "If-None-Match", "\"" + sha256(deb) + "\"");
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
    }

    @Test
    void head_answers_the_headers_without_the_body() throws Exception {
        byte[] jar = artifact("beacon-agent.jar", 12_345);
        start();

        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/downloads/beacon-agent.jar"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(response.headers().firstValue("Content-Length")).hasValue("12345");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/java-archive");
        assertThat(response.headers().firstValue("ETag")).hasValue("\"" + sha256(jar) + "\"");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache"); // unversioned: may change
    }

    @Test
    void the_latest_aliases_name_the_highest_version() throws Exception {
        artifact("beacon-agent_0.9.0_all.deb", 100);
        byte[] newest = artifact("beacon-agent_0.10.0_all.deb", 101);
        artifact("beacon-agent-0.9.0.tar.gz", 102);
        byte[] newestTarball = artifact("beacon-agent-0.10.0.tar.gz", 103);
        start();

        HttpResponse<byte[]> deb = get("/downloads/beacon-agent_latest_all.deb");
        assertThat(deb.body()).isEqualTo(newest);
        assertThat(deb.headers().firstValue("Content-Disposition").orElseThrow()).contains("beacon-agent_0.10.0_all.deb");
        assertThat(deb.headers().firstValue("Cache-Control")).hasValue("no-cache");
        HttpResponse<byte[]> tarball = get("/downloads/beacon-agent-latest.tar.gz");
        assertThat(tarball.body()).isEqualTo(newestTarball);
        assertThat(tarball.headers().firstValue("Content-Type")).hasValue("application/gzip");
    }

    @Test
    void a_missing_artifact_is_a_404_problem_that_says_how_to_build_it() throws Exception {
        start();

        TestServer.Response response = server.get("/downloads/beacon-agent_0.1.0_all.deb", null);

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.code()).isEqualTo("download_not_found");
        assertThat(response.json().path("detail").asText()).contains("./mvnw package", downloads.toString());
        assertThat(server.get("/downloads/beacon-agent_latest_all.deb", null).code()).isEqualTo("download_not_found");
    }

    @Test
    void names_outside_the_directory_are_never_served() throws Exception {
        Files.writeString(elsewhere.resolve("secret.txt"), "not for download");
        Files.writeString(downloads.resolve(".hidden"), "not for download");
        Files.createSymbolicLink(downloads.resolve("link.txt"), elsewhere.resolve("secret.txt"));
        Files.createDirectory(downloads.resolve("sub"));
        Files.writeString(downloads.resolve("sub").resolve("inner.txt"), "not for download");
        start();
        String outside = downloads.relativize(elsewhere.resolve("secret.txt")).toString();

        for (String path : new String[] {"/downloads/.hidden", "/downloads/link.txt", "/downloads/sub", "/downloads/sub/inner.txt",
                "/downloads/..%2F" + elsewhere.getFileName() + "%2Fsecret.txt", "/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                "/downloads/..", "/downloads/" + outside}) {
            String answer = raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(answer).as(path).doesNotStartWith("HTTP/1.1 200").doesNotContain("not for download", "root:");
            assertThat(answer.substring(9, 10)).as(path).isEqualTo("4"); // a refusal, never a 5xx
        }
        HttpResponse<byte[]> listing = get("/downloads");
        assertThat(listing.statusCode()).isEqualTo(200);
        assertThat(new String(listing.body(), StandardCharsets.UTF_8)).contains("\"items\":[]").doesNotContain(".hidden", "link.txt", "sub");
    }

    @Test
    void the_listing_gives_every_file_with_its_sha256() throws Exception {
        byte[] deb = artifact("beacon-agent_0.1.0_all.deb", 5_000);
        byte[] tarball = artifact("beacon-agent-0.1.0.tar.gz", 6_000);
        start();

        TestServer.Response listing = server.get("/downloads/", null);

        assertThat(listing.status()).isEqualTo(200);
        var items = listing.json().path("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).path("name").asText()).isEqualTo("beacon-agent-0.1.0.tar.gz");
        assertThat(items.get(0).path("sha256").asText()).isEqualTo(sha256(tarball));
        assertThat(items.get(0).path("size").asLong()).isEqualTo(6_000);
        assertThat(items.get(1).path("sha256").asText()).isEqualTo(sha256(deb));
        assertThat(items.get(1).path("url").asText()).isEqualTo("/downloads/beacon-agent_0.1.0_all.deb");
        assertThat(listing.json().path("agent_deb").asText()).isEqualTo("beacon-agent_0.1.0_all.deb");
    }

    @Test
    void the_install_script_carries_the_request_url_and_the_package_sha256() throws Exception {
        byte[] deb = artifact("beacon-agent_0.1.0_all.deb", 1_000);
        start();

        HttpResponse<byte[]> response = get("/install.sh");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/x-shellscript");
        String script = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(script).startsWith("#!/bin/sh\n")
                .contains("BEACON_URL='" + server.baseUrl() + "'\n", "DEB_FILE='beacon-agent_0.1.0_all.deb'\n",
                        "DEB_SHA256='" + sha256(deb) + "'\n", "DEB_MISSING=''\n")
                .doesNotContain("@@");
    }

    @Test
    void the_install_script_prefers_the_public_url() throws Exception {
        artifact("beacon-agent_0.2.0_all.deb", 10);
        server = TestServer.start(Backend.SQLITE, config -> new dev.beacon.server.ServerConfig(config.host(), config.port(), config.dataDir(),
                config.databaseUrl(), "https://beacon.example/", config.tlsCert(), config.tlsKey(), config.secretKeyHex(),
                config.adminPassword(), config.heartbeatIntervalSeconds(), config.refusalsPerMinute(), config.agentConnectsPerSecond(),
                config.clock(), config.ticker(), downloads, config.trustedProxies()));

        String script = new String(get("/install.sh").body(), StandardCharsets.UTF_8);

        assertThat(script).contains("BEACON_URL='https://beacon.example'\n", "DEB_FILE='beacon-agent_0.2.0_all.deb'\n");
    }

    @Test
    void a_host_header_that_is_not_a_host_is_refused_rather_than_written_into_the_script() throws Exception {
        start();

        String answer = raw("GET /install.sh HTTP/1.1\r\nHost: x';reboot;'\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 400").contains("bad_host_header").doesNotContain("reboot");
    }

    @Test
    void without_a_package_the_script_says_how_to_build_one() throws Exception {
        start();

        String script = new String(get("/install.sh").body(), StandardCharsets.UTF_8);

        assertThat(script).contains("DEB_FILE=''\n").containsPattern("DEB_MISSING='[^']*\\./mvnw package[^']*'\n");
    }

    /** One raw HTTP exchange, for requests java.net.http will not send (odd Host headers, unnormalized paths). */
    private String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.baseUrl().equals("") ? 0 : URI.create(server.baseUrl()).getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
