package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestCa;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * A real server with {@code --proxy-protocol} trusting the proxy at 127.0.0.2; raw sockets play the proxy (a PROXY
 * header, then the client's HTTP) and a stranger at 127.0.0.3 that tries the same.
 */
@BeaconTest
class ProxyProtocolTest implements BeaconServerExtension.ConfiguresServer {
    private static final String PROXY = "127.0.0.2";
    private static final String STRANGER = "127.0.0.3";
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    @Parameter
    Backend backend;

    TestServer server;

    @TempDir
    Path pki;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withTrustedProxies(ClientAddress.parseList(PROXY + "/32")).withProxyProtocol(true);
    }

    @Test
    void a_robot_named_in_a_v1_header_from_the_trusted_proxy_enrolls_against_its_network_and_is_audited_and_seen_with_its_address()
            throws IOException {
        String key = keyFor(server, "10.1.2.0/24");
        RawHttp.Answer enrolled = RawHttp.sendFrom(PROXY, server.baseUrl(),
                concat(v1("TCP4 10.1.2.3 127.0.0.1 40000 8080"), enroll(server, key, "bot-v1", "")));
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        String robotId = TestServer.JSON.readTree(enrolled.body()).get("robot_id").asText();
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("ip").asText()).isEqualTo("10.1.2.3");
        assertThat(auditIp(server, "robot.enrolled", robotId)).isEqualTo("10.1.2.3");
    }

    @Test
    void a_v2_header_names_the_client_over_ipv4_and_ipv6() throws IOException {
        String v4Key = keyFor(server, "10.1.2.0/24");
        RawHttp.Answer v4 = RawHttp.sendFrom(PROXY, server.baseUrl(),
                concat(v2Proxy("10.1.2.4", "127.0.0.1"), enroll(server, v4Key, "bot-v2", "")));
        assertThat(v4.status()).as(v4.body()).isEqualTo(201);
        assertThat(auditIp(server, "robot.enrolled", robotId(v4))).isEqualTo("10.1.2.4");

        String v6Key = keyFor(server, "2001:db8:cafe::/48");
        RawHttp.Answer v6 = RawHttp.sendFrom(PROXY, server.baseUrl(),
                concat(v2Proxy("2001:db8:cafe::17", "2001:db8::1"), enroll(server, v6Key, "bot-v2-v6", "")));
        assertThat(v6.status()).as(v6.body()).isEqualTo(201);
        assertThat(auditIp(server, "robot.enrolled", robotId(v6))).contains("2001:db8:cafe:0:0:0:0:17");
    }

    @Test
    void a_v2_header_saying_the_client_spoke_tls_to_the_proxy_makes_the_request_https() throws IOException {
        String key = keyFor(server, "10.1.2.0/24");
        RawHttp.Answer tls = RawHttp.sendFrom(PROXY, server.baseUrl(),
                concat(v2Proxy("10.1.2.6", "127.0.0.1", sslTlv("TLSv1.3")), enroll(server, key, "bot-tls", "")));
        assertThat(tls.status()).as(tls.body()).isEqualTo(201);
        assertThat(TestServer.JSON.readTree(tls.body()).get("websocket_url").asText()).startsWith("wss://");
        assertThat(tls.header("Strict-Transport-Security")).isNull();

        RawHttp.Answer plain = RawHttp.sendFrom(PROXY, server.baseUrl(),
                concat(v2Proxy("10.1.2.7", "127.0.0.1"), enroll(server, key, "bot-plain", "")));
        assertThat(TestServer.JSON.readTree(plain.body()).get("websocket_url").asText()).startsWith("ws://");
    }

    @Test
    void the_address_in_the_header_is_the_peer_so_a_client_cannot_carry_its_own_x_forwarded_for_through_the_proxy() throws IOException {
        String key = keyFor(server, "10.1.2.0/24");
        // A proxy passing TCP through unchanged: the X-Forwarded-For is the client's own writing.
        RawHttp.Answer refused = RawHttp.sendFrom(PROXY, server.baseUrl(), concat(v1("TCP4 192.0.2.7 127.0.0.1 40000 8080"),
                enroll(server, key, "spoofer", "X-Forwarded-For: 10.1.2.3\r\nForwarded: for=10.1.2.3\r\n")));
        assertThat(refused.status()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("enrollment_source_not_allowed");
        assertThat(lastRefusalIp(server)).isEqualTo("192.0.2.7");
    }

    @Test
    void a_peer_that_is_not_a_trusted_proxy_cannot_name_an_address_with_a_proxy_header() throws IOException {
        String key = keyFor(server, "10.1.2.0/24");
        RawHttp.Answer v1 = RawHttp.sendFrom(STRANGER, server.baseUrl(),
                concat(v1("TCP4 10.1.2.3 127.0.0.1 40000 8080"), enroll(server, key, "stranger-v1", "")));
        RawHttp.Answer v2 = RawHttp.sendFrom(STRANGER, server.baseUrl(),
                concat(v2Proxy("10.1.2.3", "127.0.0.1"), enroll(server, key, "stranger-v2", "")));

        assertThat(v1.status()).as(v1.body()).isEqualTo(400);
        assertThat(v2.status()).as(v2.body()).isEqualTo(400);
        assertThat(server.get("/api/audit?action=robot.enrolled", server.adminKey()).json().get("items")).isEmpty();
        // Without a header the stranger is served as itself.
        RawHttp.Answer plain = RawHttp.sendFrom(STRANGER, server.baseUrl(), enroll(server, key, "stranger", ""));
        assertThat(plain.status()).as(plain.body()).isEqualTo(403);
        assertThat(lastRefusalIp(server)).isEqualTo(STRANGER);
    }

    @Test
    void the_trusted_proxy_may_connect_without_a_header_or_with_a_local_one_as_health_checks_do() throws IOException {
        String readyz = "GET /readyz HTTP/1.1\r\nHost: " + host(server) + "\r\nConnection: close\r\n\r\n";
        assertThat(RawHttp.sendFrom(PROXY, server.baseUrl(), readyz).status()).isEqualTo(200);
        assertThat(RawHttp.sendFrom(PROXY, server.baseUrl(), concat(v2Local(), ascii(readyz))).status()).isEqualTo(200);
        assertThat(RawHttp.sendFrom(PROXY, server.baseUrl(), concat(v1("UNKNOWN"), ascii(readyz))).status()).isEqualTo(200);

        // A connection without a header is the proxy itself, whose forwarding headers count as before.
        String key = keyFor(server, "10.1.2.0/24");
        RawHttp.Answer enrolled = RawHttp.sendFrom(PROXY, server.baseUrl(), enroll(server, key, "bot-xff", "X-Forwarded-For: 10.1.2.5\r\n"));
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        assertThat(auditIp(server, "robot.enrolled", robotId(enrolled))).isEqualTo("10.1.2.5");
    }

    @Test
    void a_server_without_the_option_answers_a_proxy_line_with_400() throws IOException {
        try (TestServer plain = TestServer.start(backend, config -> config.withTrustedProxies(ClientAddress.parseList(PROXY + "/32")))) {
            String key = keyFor(plain, "10.1.2.0/24");
            RawHttp.Answer v1 = RawHttp.sendFrom(PROXY, plain.baseUrl(),
                    concat(v1("TCP4 10.1.2.3 127.0.0.1 40000 8080"), enroll(plain, key, "bot", "")));
            RawHttp.Answer v2 = RawHttp.sendFrom(PROXY, plain.baseUrl(),
                    concat(v2Proxy("10.1.2.3", "127.0.0.1"), enroll(plain, key, "bot-2", "")));

            assertThat(v1.status()).as(v1.body()).isEqualTo(400);
            assertThat(v2.status()).as(v2.body()).isEqualTo(400);
        }
    }

    @Test
    void over_tls_the_header_comes_before_the_handshake_and_only_the_trusted_proxy_may_send_it() throws Exception {
        TestCa ca = TestCa.createIn(pki);
        try (TestServer tls = TestServer.start(backend, config -> configure(config).withTls(ca.serverCert(), ca.serverKey()))) {
            String key = keyFor(tls, "10.1.2.0/24");
            byte[] request = enroll(tls, key, "tls-bot", "");
            try (Socket raw = RawHttp.connectFrom(PROXY, tls.baseUrl())) {
                raw.getOutputStream().write(v1("TCP4 10.1.2.3 127.0.0.1 40000 443"));
                RawHttp.Answer enrolled = RawHttp.exchange(overTls(raw, ca), request);
                assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
                assertThat(auditIp(tls, "robot.enrolled", robotId(enrolled))).isEqualTo("10.1.2.3");
            }
            try (Socket raw = RawHttp.connectFrom(STRANGER, tls.baseUrl())) {
                raw.getOutputStream().write(v1("TCP4 10.1.2.3 127.0.0.1 40000 443"));
                assertThatThrownBy(() -> overTls(raw, ca)).isInstanceOf(IOException.class);
            }
        }
    }

    private static SSLSocket overTls(Socket raw, TestCa ca) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(ca.caPem())) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, "127.0.0.1", raw.getPort(), true);
        socket.startHandshake();
        return socket;
    }

    private static byte[] v1(String fields) {
        return ascii("PROXY " + fields + "\r\n");
    }

    /**
     * A v2 PROXY command over TCP from {@code source} to {@code destination}, both IPv4 or both IPv6, followed by
     * {@code tlvs}.
     */
    private static byte[] v2Proxy(String source, String destination, byte[]... tlvs) throws IOException {
        byte[] from = InetAddress.getByName(source).getAddress();
        byte[] to = InetAddress.getByName(destination).getAddress();
        int extra = 0;
        for (byte[] tlv : tlvs) {
            extra += tlv.length;
        }
        ByteBuffer header = ByteBuffer.allocate(16 + 2 * from.length + 4 + extra);
        header.put(V2_SIGNATURE).put((byte) 0x21).put((byte) (from.length == 4 ? 0x11 : 0x21));
        header.putShort((short) (2 * from.length + 4 + extra)).put(from).put(to).putShort((short) 40000).putShort((short) 8080);
        for (byte[] tlv : tlvs) {
            header.put(tlv);
        }
        return header.array();
    }

    /** PP2_TYPE_SSL as HAProxy's send-proxy-v2-ssl writes it: client spoke TLS (PP2_CLIENT_SSL), verified, a version. */
    private static byte[] sslTlv(String version) {
        byte[] value = ascii(version);
        int length = 1 + 4 + 3 + value.length;
        return ByteBuffer.allocate(3 + length).put((byte) 0x20).putShort((short) length)
                .put((byte) 0x01).putInt(0).put((byte) 0x21).putShort((short) value.length).put(value).array();
    }

    /** A v2 LOCAL command, as HAProxy's health checks send: the connection's own addresses stand. */
    private static byte[] v2Local() {
        return ByteBuffer.allocate(16).put(V2_SIGNATURE).put((byte) 0x20).put((byte) 0x00).putShort((short) 0).array();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        return ByteBuffer.allocate(first.length + second.length).put(first).put(second).array();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] enroll(TestServer to, String key, String name, String headers) {
        String json = "{\"enrollment_key\":\"" + key + "\",\"name\":\"" + name + "\"}";
        return ascii("POST /api/enroll HTTP/1.1\r\nHost: " + host(to) + "\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + json.length() + "\r\n" + headers + "\r\n" + json);
    }

    private static String keyFor(TestServer on, String cidr) {
        String[] ids = on.siteAndFleet("site-" + System.nanoTime(), "fleet");
        TestServer.Response created = on.post("/api/enrollment-keys", "{\"site_id\":\"" + ids[0] + "\",\"fleet_id\":\"" + ids[1]
                + "\",\"name\":\"net\",\"allowed_cidrs\":[\"" + cidr + "\"]}", on.adminKey());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("key_value").asText();
    }

    private static String robotId(RawHttp.Answer enrolled) throws IOException {
        return TestServer.JSON.readTree(enrolled.body()).get("robot_id").asText();
    }

    private static String auditIp(TestServer on, String action, String robotId) {
        for (JsonNode event : on.get("/api/audit?action=" + action, on.adminKey()).json().get("items")) {
            if (robotId.equals(event.get("target_id").asText())) {
                return event.get("ip").asText();
            }
        }
        throw new AssertionError("no " + action + " event for " + robotId);
    }

    private static String lastRefusalIp(TestServer on) {
        return on.get("/api/audit?action=enrollment.refused", on.adminKey()).json().get("items").get(0).get("ip").asText();
    }

    private static String host(TestServer on) {
        return URI.create(on.baseUrl()).getAuthority();
    }
}
