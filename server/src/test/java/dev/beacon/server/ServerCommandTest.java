package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
    void first_start_writes_the_admin_password_to_a_file_it_names_never_to_the_output_and_port_zero_picks_a_free_port() throws Exception {
        Started first = start();
        Path passwordFile = dataDir.resolve("initial-admin-password").toAbsolutePath();
        assertThat(first.output).contains("Admin password: in " + passwordFile
                + " (readable by this user only; deleted when admin first signs in).");
        assertThat(mode(passwordFile)).isEqualTo("rw-------");
        String password = Files.readString(passwordFile).strip();
        assertThat(first.output).noneMatch(line -> line.contains(password));
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

    @Test
    void a_second_server_on_the_same_data_dir_refuses_to_start_with_one_line_naming_the_dir_and_the_first() throws Exception {
        Started first = start();
        try {
            Process second = new ProcessBuilder(command("server", "--port", "0", "--data-dir", dataDir.toString()))
                    .redirectErrorStream(true).start();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String output = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(second.exitValue()).isEqualTo(1);
            assertThat(output.strip()).isEqualTo("✗ Beacon could not start: another beacon server (pid " + first.process.pid()
                    + ") is already using the data dir " + dataDir.toRealPath()
                    + "; stop it first, or give this one its own --data-dir (or BEACON_DATA_DIR).");
            // the first server kept serving, and did not see its robots marked offline by the second
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(first.url + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
        } finally {
            first.process.destroy();
            assertThat(first.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
        Started again = start(); // the lock went with the first server
        again.process.destroy();
        assertThat(again.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void a_first_start_that_fails_on_a_taken_port_leaves_the_admin_password_to_the_next_start() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Process failed = new ProcessBuilder(command("server", "--port", Integer.toString(taken.getLocalPort()), "--data-dir", dataDir.toString()))
                    .redirectErrorStream(true).start();
            String output = new String(failed.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(failed.waitFor()).isEqualTo(1);
            assertThat(output).contains("Beacon could not start").doesNotContain("Admin password");
        }
        assertThat(dataDir.resolve("initial-admin-password")).doesNotExist();
        Started next = start();
        assertThat(next.output).anyMatch(line -> line.startsWith("Admin password: in "));
        next.process.destroy();
        assertThat(next.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void the_data_dir_is_0700_and_its_files_0600_even_under_umask_000() throws Exception {
        Path dir = dataDir.resolve("fresh");
        Started started = start(dir, "000");
        try {
            assertThat(mode(dir)).isEqualTo("rwx------");
            for (String file : List.of("beacon.db", "beacon.db-wal", "beacon.db-shm", "secret.key", "beacon.lock")) {
                assertThat(mode(dir.resolve(file))).as(file).isEqualTo("rw-------");
            }
        } finally {
            started.process.destroy();
            assertThat(started.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void a_data_dir_left_open_by_an_earlier_version_is_tightened_at_start() throws Exception {
        Started first = start();
        first.process.destroy();
        assertThat(first.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String file : List.of("beacon.db", "secret.key")) {
            Files.setPosixFilePermissions(dataDir.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
        }
        Started second = start(dataDir, "022");
        try {
            assertThat(mode(dataDir)).isEqualTo("rwx------");
            for (String file : List.of("beacon.db", "beacon.db-wal", "beacon.db-shm", "secret.key")) {
                assertThat(mode(dataDir.resolve(file))).as(file).isEqualTo("rw-------");
            }
        } finally {
            second.process.destroy();
            assertThat(second.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private record Started(Process process, String url, List<String> output) {
    }

    private Started start() throws Exception {
        return start(dataDir, null);
    }

    /** Starts {@code beacon server} on {@code dir}, under {@code umask} when given (via sh). */
    private Started start(Path dir, String umask) throws Exception {
        List<String> command = command("server", "--port", "0", "--data-dir", dir.toString());
        if (umask != null) {
            List<String> shell = new ArrayList<>(List.of("sh", "-c", "umask " + umask + " && exec \"$@\"", "sh"));
            shell.addAll(command);
            command = shell;
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
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
