package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.TestCa;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
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
        TestCa ca = TestCa.createIn(pki);
        server = TestServer.start(Backend.SQLITE, config -> config.withTls(ca.serverCert(), ca.serverKey()));
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
}
