package dev.beacon.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.TestCa;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator CLI against a server whose certificate a private CA signed: refused in one line, trusted with --ca-cert. */
class OpsCliTlsTest {
    @TempDir
    static Path pki;
    static TestCa ca;
    static TestServer server;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        ca = TestCa.createIn(pki);
        server = TestServer.start(Backend.SQLITE, config -> config.withTls(ca.serverCert(), ca.serverKey()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void login_with_ca_cert_keeps_it_in_the_profile_and_later_commands_trust_the_server_without_the_flag() throws Exception {
        CliProcess beacon = new CliProcess(Files.createDirectories(tmp.resolve("xdg")));

        CliProcess.Result untrusted = beacon.env("BEACON_API_KEY", server.adminKey()).run("login", "--server", server.baseUrl());
        assertThat(untrusted.exitCode()).isEqualTo(1);
        assertThat(untrusted.errLines()).singleElement().asString().startsWith("error: ").contains("--ca-cert");
        assertThat(tmp.resolve("xdg/beacon/cli.toml")).doesNotExist();

        CliProcess.Result login = beacon.run("login", "--server", server.baseUrl(), "--ca-cert", ca.caPem().toString());
        assertThat(login.exitCode()).as(login.err()).isZero();
        assertThat(Files.readString(tmp.resolve("xdg/beacon/cli.toml"))).contains("ca_cert = \"" + ca.caPem().toAbsolutePath());

        CliProcess.Result sites = beacon.env("BEACON_API_KEY", null).run("sites", "create", "--name", "tls-site");
        assertThat(sites.exitCode()).as(sites.err()).isZero();
        assertThat(beacon.run("sites", "list", "-o", "json").out()).contains("tls-site");
    }
}
