package dev.beacon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.Main;
import dev.beacon.agent.HostFacts;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code beacon} command line's manners: exit codes, one-line refusals that name the culprit, one version. */
class CommandLineTest {
    @TempDir
    Path tmp;

    record Result(int exitCode, String out, String err) {
    }

    static Result beacon(String... args) {
        return run(Main.commandLine(), args);
    }

    private static Result run(CommandLine commandLine, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = commandLine.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void the_server_command_built_alone_answers_help_and_mistakes_as_the_whole_command_line_does() {
        for (String[] args : new String[][] {{"server", "--help"}, {"server", "--no-such-flag"}, {"server", "--port", "x"},
                {"server", "--port", "70000", "--data-dir", tmp.toString()}}) {
            Result alone = run(Main.commandLine(args), args);

            assertThat(alone).as(String.join(" ", args)).isEqualTo(run(Main.commandLine(), args));
            assertThat(alone.exitCode()).as(String.join(" ", args)).isEqualTo(args[1].equals("--help") ? 0 : 2);
        }
    }

    @Test
    void no_arguments_prints_usage_on_stderr_and_exits_2() {
        Result result = beacon();

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).startsWith("Usage: beacon").contains("agent").contains("server");
    }

    @Test
    void help_asked_for_is_not_an_error() {
        Result result = beacon("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: beacon");
    }

    @Test
    void version_is_the_project_version_and_the_one_the_agent_reports() throws Exception {
        Matcher pom = Pattern.compile("<artifactId>beacon-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("..", "pom.xml")));
        assertThat(pom.find()).isTrue();

        Result result = beacon("--version");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("beacon " + pom.group(1) + " (Java ");
        assertThat(HostFacts.detect().agentVersion()).isEqualTo(pom.group(1));
        assertThat(beacon("agent", "run", "--version").out()).isEqualTo(result.out());
    }

    @Test
    void a_bad_server_flag_is_named_alone() {
        Result result = beacon("server", "--port", "70000", "--data-dir", tmp.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("✗ --port must be 0-65535 (got 70000).\n");
    }

    @Test
    void a_bad_heartbeat_interval_is_named_alone() {
        Result result = beacon("server", "--heartbeat-interval", "0", "--data-dir", tmp.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("✗ --heartbeat-interval must be at least 1 (got 0).\n");
    }

    @Test
    void a_trusted_proxy_that_is_not_an_address_is_named_alone() {
        Result result = beacon("server", "--trusted-proxies", "10.0.0.0/8,proxy.lan", "--data-dir", tmp.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("✗ --trusted-proxies: 'proxy.lan' is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24\n");
    }

    @Test
    void the_proxy_protocol_without_trusted_proxies_is_refused_in_one_line() {
        Result result = beacon("server", "--proxy-protocol", "--data-dir", tmp.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("✗ --proxy-protocol needs --trusted-proxies: the PROXY header is read only from the proxies "
                + "listed there.\n");
    }

    @Test
    void a_bad_loadtest_flag_is_named_alone() {
        Result result = beacon("loadtest", "enroll", "--server", "http://127.0.0.1:1", "--api-key", "x", "--concurrency", "0");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("✗ --concurrency must be at least 1 (got 0).\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:8080", "localhost:8080", "beacon.example.com"})
    void a_server_url_without_a_scheme_says_to_add_one(String server) {
        Result result = beacon("agent", "run", "--server", server, "--enrollment-key",
                TokenFormat.generate(TokenKind.ENROLLMENT).value(), "--config", tmp.resolve("agent.toml").toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ The server URL " + server + " has no scheme: add http:// or https://, e.g. https://"
                + server + ".\n");
        assertThat(tmp.resolve("agent.toml")).doesNotExist();
    }
}
