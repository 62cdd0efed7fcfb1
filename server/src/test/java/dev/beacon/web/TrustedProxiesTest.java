package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * A real server trusting the proxy at 127.0.0.2; "robots" talk to it from other loopback addresses (127.0.0.3), so
 * the proxy and the clients differ as they do behind HAProxy.
 */
@BeaconTest
class TrustedProxiesTest implements BeaconServerExtension.ConfiguresServer {
    private static final String PROXY = "127.0.0.2";
    private static final String STRANGER = "127.0.0.3";

    @Parameter
    Backend backend;

    TestServer server;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withTrustedProxies(ClientAddress.parseList(PROXY + "/32")).withRefusalsPerMinute(3);
    }

    @Test
    void a_robot_behind_the_trusted_proxy_enrolls_against_its_own_network_and_is_audited_and_seen_with_its_address() throws IOException {
        String key = keyFor("10.1.2.0/24");
        RawHttp.Answer enrolled = enroll(PROXY, key, "bot-behind-proxy", "X-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: https\r\n");
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        JsonNode body = TestServer.JSON.readTree(enrolled.body());
        assertThat(body.get("websocket_url").asText()).startsWith("wss://"); // the scheme the client used at the proxy
        String robotId = body.get("robot_id").asText();
        assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("ip").asText()).isEqualTo("10.1.2.3");
        assertThat(auditIp("robot.enrolled", robotId)).isEqualTo("10.1.2.3");
    }

    @Test
    void the_same_headers_from_a_peer_that_is_not_a_trusted_proxy_are_ignored() throws IOException {
        String key = keyFor("10.1.2.0/24");
        RawHttp.Answer refused = enroll(STRANGER, key, "spoofer", "X-Forwarded-For: 10.1.2.3\r\nForwarded: for=10.1.2.3\r\n");
        assertThat(refused.status()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("enrollment_source_not_allowed");
        JsonNode event = server.get("/api/audit?action=enrollment.refused", server.adminKey()).json().get("items").get(0);
        assertThat(event.get("ip").asText()).isEqualTo(STRANGER);
    }

    @Test
    void a_chain_the_client_started_itself_is_believed_only_from_the_rightmost_untrusted_hop() throws IOException {
        String key = keyFor("10.1.2.0/24");
        // The robot wrote "1.1.1.1" itself; the proxy appended the address it saw.
        RawHttp.Answer enrolled = enroll(PROXY, key, "chained", "X-Forwarded-For: 1.1.1.1, 10.1.2.3\r\n");
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        String robotId = TestServer.JSON.readTree(enrolled.body()).get("robot_id").asText();
        assertThat(auditIp("robot.enrolled", robotId)).isEqualTo("10.1.2.3");
        // The other way round, the robot's claim to be inside the network is refused.
        RawHttp.Answer refused = enroll(PROXY, key, "chained-2", "X-Forwarded-For: 10.1.2.3, 1.1.1.1\r\n");
        assertThat(refused.status()).as(refused.body()).isEqualTo(403);
    }

    @Test
    void forwarded_with_a_quoted_ipv6_node_names_the_client() throws IOException {
        String key = keyFor("2001:db8:cafe::/48");
        RawHttp.Answer enrolled = enroll(PROXY, key, "v6-bot", "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=http;by=127.0.0.2\r\n");
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        String robotId = TestServer.JSON.readTree(enrolled.body()).get("robot_id").asText();
        assertThat(auditIp("robot.enrolled", robotId)).contains("2001:db8:cafe:0:0:0:0:17"); // Jetty writes IPv6 in brackets
    }

    @Test
    void enrollment_refusals_are_throttled_per_resolved_client_not_per_proxy() throws IOException {
        String unknown = "{\"enrollment_key\":\"rf_enroll_" + "0".repeat(64) + "00000000\",\"name\":\"x\"}";
        for (int i = 0; i < 3; i++) {
            assertThat(post(PROXY, "/api/enroll", unknown, "X-Forwarded-For: 10.0.0.1\r\n").status()).isNotEqualTo(429);
        }
        assertThat(post(PROXY, "/api/enroll", unknown, "X-Forwarded-For: 10.0.0.1\r\n").status()).isEqualTo(429);
        // Another robot behind the same proxy is not held back by its neighbour's mistakes...
        assertThat(post(PROXY, "/api/enroll", unknown, "X-Forwarded-For: 10.0.0.2\r\n").status()).isNotEqualTo(429);
        // ...and a peer that is not a proxy cannot borrow (or escape) a throttle by naming another address.
        assertThat(post(STRANGER, "/api/enroll", unknown, "X-Forwarded-For: 10.0.0.2\r\n").status()).isNotEqualTo(429);
    }

    @Test
    void refused_agent_upgrades_are_counted_per_resolved_client() throws IOException {
        String upgrade = "Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer rf_robot_bad\r\n";
        // RawHttp reads until the server closes: "Connection: Upgrade, close" makes the refusal close at once, so that
        // the 61 attempts fall within the minute the budget covers.
        int last = 0;
        for (int i = 0; i <= 60 && last != 429; i++) {
            last = get(PROXY, "/api/agent/ws", upgrade + "X-Forwarded-For: 10.0.0.9\r\n").status();
        }
        assertThat(last).isEqualTo(429);
        assertThat(get(PROXY, "/api/agent/ws", upgrade + "X-Forwarded-For: 10.0.0.10\r\n").status()).isEqualTo(401);
    }

    private String keyFor(String cidr) {
        String[] ids = server.siteAndFleet("site-" + System.nanoTime(), "fleet");
        TestServer.Response created = server.post("/api/enrollment-keys", "{\"site_id\":\"" + ids[0] + "\",\"fleet_id\":\"" + ids[1]
                + "\",\"name\":\"net\",\"allowed_cidrs\":[\"" + cidr + "\"]}", server.adminKey());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("key_value").asText();
    }

    private String auditIp(String action, String robotId) {
        for (JsonNode event : server.get("/api/audit?action=" + action, server.adminKey()).json().get("items")) {
            if (robotId.equals(event.get("target_id").asText())) {
                return event.get("ip").asText();
            }
        }
        throw new AssertionError("no " + action + " event for " + robotId);
    }

    private RawHttp.Answer enroll(String from, String key, String name, String headers) throws IOException {
        return post(from, "/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"" + name + "\"}", headers);
    }

    private RawHttp.Answer post(String from, String path, String json, String headers) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return RawHttp.sendFrom(from, server.baseUrl(), "POST " + path + " HTTP/1.1\r\nHost: " + host() + "\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" + headers + "\r\n" + json);
    }

    private RawHttp.Answer get(String from, String path, String headers) throws IOException {
        return RawHttp.sendFrom(from, server.baseUrl(), "GET " + path + " HTTP/1.1\r\nHost: " + host() + "\r\n" + headers + "\r\n");
    }

    private String host() {
        return URI.create(server.baseUrl()).getAuthority();
    }
}
