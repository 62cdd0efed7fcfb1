package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The generated first admin password lives in {@code <data-dir>/initial-admin-password} (0600) until admin first
 * signs in, on both databases.
 */
@BeaconTest
class InitialAdminPasswordTest implements BeaconServerExtension.ConfiguresServer {
    @Parameter
    Backend backend;

    TestServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withAdminPassword(null); // no password given: the first start generates one
    }

    @Test
    void the_generated_password_is_in_a_0600_file_that_admins_first_sign_in_deletes() throws Exception {
        Path file = server.dataDir().resolve("initial-admin-password");
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String password = Files.readString(file).strip();
        assertThat(password).hasSize(24);

        assertThat(signIn("admin", password + "x")).isEqualTo(401);
        assertThat(file).as("a refused sign-in keeps the file").exists();

        assertThat(signIn("admin", password)).isEqualTo(303);
        assertThat(file).as("deleted at admin's first sign-in").doesNotExist();

        server.restart(); // a later start generates nothing and writes no file
        assertThat(file).doesNotExist();
        assertThat(signIn("admin", password)).isEqualTo(303);
    }

    private int signIn(String username, String password) throws Exception {
        String body = "username=" + URLEncoder.encode(username, StandardCharsets.UTF_8) + "&password="
                + URLEncoder.encode(password, StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
