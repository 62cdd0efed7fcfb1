package dev.beacon.downloads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the {@code /install.sh} a real server hands out with a real {@code sh}, on the paths that install nothing:
 * {@code shellcheck}, {@code --help}, wrong flags, the refusal of plain http to another host, the refusal to run
 * without root, and {@code --dry-run}, which downloads the package and checks its SHA-256 as any user. The script is
 * fed on standard input ({@code sh -s --}), as {@code curl … | sudo sh -s --} does. When the tests run as root, the
 * runs that must not be root drop to {@code nobody} with {@code setpriv}. The installing run (root, apt, systemd) is
 * the package test's.
 */
class InstallScriptTest {
    @TempDir
    Path downloads;

    TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private record Run(int exitCode, String out, String err) {
    }

    private void start(String publicUrl) throws IOException {
        Files.write(downloads.resolve("beacon-agent_0.1.0_all.deb"), "not really a package".getBytes(StandardCharsets.UTF_8));
        server = TestServer.start(Backend.SQLITE, config -> new ServerConfig(config.host(), config.port(), config.dataDir(),
                config.databaseUrl(), publicUrl, config.tlsCert(), config.tlsKey(), config.secretKeyHex(), config.adminPassword(),
                config.heartbeatIntervalSeconds(), config.refusalsPerMinute(), config.agentConnectsPerSecond(), config.clock(),
                config.ticker(), downloads, config.trustedProxies()));
    }

    private String script() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/install.sh")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static boolean root() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        return new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().equals("0");
    }

    /** Runs the script with {@code sh -s --} as this user, or as nobody when {@code asNobody} and this user is root. */
    private static Run run(String script, boolean asNobody, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if (asNobody && root()) {
            assumeThat(onPath("setpriv")).as("setpriv, to run the script as nobody").isTrue();
            command.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        command.addAll(List.of("sh", "-s", "--"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("TMPDIR", "/tmp");
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(script.getBytes(StandardCharsets.UTF_8));
        }
        var out = process.getInputStream();
        var err = process.getErrorStream();
        var outText = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(out));
        var errText = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(err));
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the script ended within 60 s").isTrue();
        return new Run(process.exitValue(), outText.get(), errText.get());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void the_served_script_passes_shellcheck_as_posix_sh() throws Exception {
        assumeThat(onPath("shellcheck")).as("shellcheck is not installed here (CI installs it)").isTrue();
        start(null);
        Path file = Files.writeString(downloads.resolve("install.sh"), script());

        Process check = new ProcessBuilder("shellcheck", "-s", "sh", file.toString()).redirectErrorStream(true).start();
        String report = read(check.getInputStream());

        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(report).isZero();
    }

    @Test
    void help_lists_the_flags_and_changes_nothing() throws Exception {
        start(null);

        Run run = run(script(), true, "--help");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("curl -fsSL " + server.baseUrl() + "/install.sh | sudo sh -s -- [options]",
                "--name NAME", "--enrollment-key-file FILE", "--ca-cert PEM", "--insecure", "--force", "--dry-run");
    }

    @Test
    void a_wrong_flag_is_a_usage_error_and_the_key_is_never_a_flag() throws Exception {
        start(null);
        String script = script();

        Run unknown = run(script, true, "--nmae", "bot-01");
        Run keyFlag = run(script, true, "--enrollment-key", "rf_enroll_0123");
        Run noValue = run(script, true, "--name");

        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("✗ unknown option: --nmae (see --help)\n");
        assertThat(keyFlag.exitCode()).isEqualTo(2);
        assertThat(keyFlag.err()).contains("never a flag", "--enrollment-key-file FILE");
        assertThat(noValue.exitCode()).isEqualTo(2);
        assertThat(noValue.err()).contains("--name needs a value");
    }

    @Test
    void plain_http_to_another_host_is_refused_without_insecure() throws Exception {
        start("http://127.0.0.1.robots.example:8080"); // looks like loopback, is not

        Run run = run(script(), false, "--name", "bot-01", "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("✗ refusing plain http:// to http://127.0.0.1.robots.example:8080").contains("--insecure");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void without_root_it_says_so_and_changes_nothing() throws Exception {
        start(null);

        Run run = run(script(), true, "--name", "bot-01");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("✗ this installs a package and a service, so it must run as root: curl -fsSL "
                + server.baseUrl() + "/install.sh | sudo sh -s -- ...");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void a_dry_run_downloads_the_package_and_checks_its_sha256_as_any_user() throws Exception {
        start(null);

        Run run = run(script(), true, "--name", "bot-01", "--dry-run");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("✓ Downloaded beacon-agent_0.1.0_all.deb (SHA-256 checked)", "• Dry run: nothing was changed.");
    }

    @Test
    void a_package_that_changed_after_the_script_was_served_is_not_installed() throws Exception {
        start(null);
        String script = script();
        Files.write(downloads.resolve("beacon-agent_0.1.0_all.deb"), "something else entirely".getBytes(StandardCharsets.UTF_8));

        Run run = run(script, true, "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("✗ the downloaded beacon-agent_0.1.0_all.deb has SHA-256", "not installing it");
    }

    @Test
    void a_download_that_fails_is_one_line_with_the_reason() throws Exception {
        start("http://127.0.0.1:1"); // the script was served by this server but names a port nothing listens on

        Run run = run(script(), true, "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("✗ could not download http://127.0.0.1:1/downloads/beacon-agent_0.1.0_all.deb: ");
        assertThat(run.err().lines()).hasSize(1);
    }

    @Test
    void a_server_without_a_package_fails_in_one_line_that_says_how_to_build_it() throws Exception {
        start(null);
        Files.delete(downloads.resolve("beacon-agent_0.1.0_all.deb"));

        Run run = run(script(), true, "--dry-run");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("✗ The agent artifacts go in ").contains("./mvnw package");
        assertThat(run.err().lines()).hasSize(1);
    }
}
