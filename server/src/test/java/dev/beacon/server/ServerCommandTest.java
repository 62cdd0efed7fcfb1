package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code beacon server} as an operator runs it: a separate process, port 0, first-start bootstrap, SIGTERM. */
class ServerCommandTest {
    private static final Pattern LISTENING = Pattern.compile("Beacon is listening on (http://127\\.0\\.0\\.1:\\d+)");

    @TempDir
    Path dataDir;

    @Test
    void first_start_prints_the_admin_password_once_and_port_zero_picks_a_free_port() throws Exception {
        Started first = start();
        assertThat(first.output).anyMatch(line -> line.startsWith("Admin password (shown once"));
        HttpClient http = HttpClient.newHttpClient();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(first.url + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(first.url + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(first.url + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("process_resident_memory_bytes", "beacon_agents_connected");
        first.process.destroy(); // SIGTERM
        assertThat(first.process.waitFor(15, TimeUnit.SECONDS)).isTrue();

        Started second = start();
        assertThat(second.output).noneMatch(line -> line.contains("Admin password"));
        second.process.destroy();
        assertThat(second.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void tls_cert_without_key_is_refused_with_one_line() throws Exception {
        Process process = new ProcessBuilder(command("server", "--port", "0", "--data-dir", dataDir.toString(), "--tls-cert", "x.pem"))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).isEqualTo(2);
        assertThat(output.strip()).isEqualTo("✗ --tls-cert and --tls-key go together: give both, or neither for plain HTTP.");
    }

    private record Started(Process process, String url, List<String> output) {
    }

    private Started start() throws Exception {
        Process process = new ProcessBuilder(command("server", "--port", "0", "--data-dir", dataDir.toString()))
                .redirectErrorStream(true).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            lines.add(line);
            Matcher matcher = LISTENING.matcher(line);
            if (matcher.find()) {
                Thread.ofVirtual().start(() -> reader.lines().forEach(rest -> { }));
                return new Started(process, matcher.group(1), lines);
            }
        }
        throw new AssertionError("server exited before listening: " + String.join("\n", lines));
    }

    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.beacon.Main"));
        command.addAll(List.of(args));
        return command;
    }
}
