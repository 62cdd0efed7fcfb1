package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enrolls over HTTPS with a self-signed certificate made by keytool: refused by default, trusted with --ca-cert. */
class TlsTrustTest {
    static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path keys;
    static HttpsServer server;
    static Path caPem;

    @TempDir
    Path tmp;

    /** Once per class: keytool starts a JVM per call, which is slow. */
    @BeforeAll
    static void startHttpsServer() throws Exception {
        Path keystore = keys.resolve("server.p12");
        caPem = keys.resolve("ca.pem");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", caPem.toString());

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(keystore)) {
            store.load(in, PASSWORD);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASSWORD);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/api/enroll", exchange -> {
            byte[] body = ("{\"robot_id\":\"r_tls\",\"robot_token\":\"" + TokenFormat.generate(TokenKind.ROBOT).value()
                    + "\",\"organization\":\"default\",\"site\":\"s\",\"fleet\":\"f\",\"heartbeat_interval_s\":15}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    private static void keytool(String... args) throws Exception {
        Path keytool = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("keytool");
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    static String serverUrl() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void an_untrusted_certificate_is_reported_as_a_tls_failure_that_suggests_ca_cert() {
        AgentCli.Result result = AgentCli.withStdin(TokenFormat.generate(TokenKind.ENROLLMENT).value() + "\n",
                "enroll", "--server", serverUrl(), "--config", tmp.resolve("agent.toml").toString(), "--no-start");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ TLS failure talking to " + serverUrl()
                + ": the server's certificate is not trusted — if it uses a private CA, pass --ca-cert /path/to/ca.pem.\n");
    }

    @Test
    void with_ca_cert_the_private_ca_is_trusted_and_remembered_in_agent_toml() {
        Path config = tmp.resolve("agent.toml");

        AgentCli.Result result = AgentCli.withStdin(TokenFormat.generate(TokenKind.ENROLLMENT).value() + "\n",
                "enroll", "--server", serverUrl(), "--ca-cert", caPem.toString(), "--config", config.toString(), "--no-start");

        assertThat(result.exitCode()).as(result.err()).isZero();
        AgentConfig saved = AgentConfigFile.at(config).read().orElseThrow();
        assertThat(saved.caCert()).isEqualTo(caPem.toAbsolutePath().toString());
        assertThat(saved.robotId()).isEqualTo("r_tls");
    }

    @Test
    void a_ca_cert_that_is_not_pem_is_named_in_one_line() throws Exception {
        Path notPem = tmp.resolve("not.pem");
        java.nio.file.Files.writeString(notPem, "hello");

        AgentCli.Result result = AgentCli.withStdin(TokenFormat.generate(TokenKind.ENROLLMENT).value() + "\n",
                "enroll", "--server", serverUrl(), "--ca-cert", notPem.toString(), "--config", tmp.resolve("a.toml").toString(), "--no-start");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("✗ The CA file " + notPem.toAbsolutePath()).doesNotContain("\n✗");
        assertThat(result.err().lines()).hasSize(1);
    }
}
