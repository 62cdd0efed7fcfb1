package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a certificate from a private CA: the server serves it, the agent trusts it with --ca-cert. */
class TlsTest {
    @TempDir
    static Path pki;

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=Beacon Test CA");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
        Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                "-days", "2", "-extfile", "san.ext");
        server = TestServer.start(Backend.SQLITE, config -> config.withTls(pki.resolve("server.pem"), pki.resolve("server.key")));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void the_server_speaks_https_and_an_agent_trusting_the_ca_enrolls() {
        assertThat(server.baseUrl()).startsWith("https://");
        String key = server.enrollmentKey(2).get("key_value").asText();
        TestServer.CliResult result = TestServer.runCli("agent", "run", "--server", server.baseUrl(), "--enrollment-key", key,
                "--name", "tls-bot", "--ca-cert", pki.resolve("ca.pem").toString(), "--config", pki.resolve("agent.toml").toString(),
                "--once-connected-exit");
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("✓ Enrollment successful!");
    }

    @Test
    void an_agent_without_the_ca_gets_one_line_about_tls() {
        String key = server.enrollmentKey(2).get("key_value").asText();
        TestServer.CliResult result = TestServer.runCli("agent", "run", "--server", server.baseUrl(), "--enrollment-key", key,
                "--name", "untrusting-bot", "--config", pki.resolve("other.toml").toString(), "--once-connected-exit");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err().strip()).startsWith("✗").contains("--ca-cert").doesNotContain("\n");
    }

    @Test
    void answers_over_tls_carry_hsts_and_do_not_name_the_server_software() {
        for (String path : new String[] {"/healthz", "/api/jobs", "/login", "/no-such-page"}) {
            TestServer.Response response = server.get(path, null);

            assertThat(response.raw().headers().firstValue("Strict-Transport-Security")).as(path).hasValue("max-age=31536000");
            assertThat(response.raw().headers().firstValue("Server")).as(path).isEmpty();
        }
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(pki.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + output);
        }
    }
}
