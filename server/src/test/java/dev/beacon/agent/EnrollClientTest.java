package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnrollClientTest {
    static final HostFacts HOST = new HostFacts("test-host", "linux", "amd64", "test");

    static EnrollRequest request(String key) {
        return new EnrollRequest(key, "bot-1", HOST.hostname(), HOST.os(), HOST.arch(), HOST.agentVersion(),
                List.of("echo", "sleep"), Map.of(), false);
    }

    /** A port nothing listens on: bound, noted, closed. */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void a_truncated_key_is_refused_before_anything_is_sent() throws Exception {
        String key = TokenFormat.generate(TokenKind.ENROLLMENT).value();
        EnrollClient client = new EnrollClient(ServerEndpoint.of("http://127.0.0.1:" + closedPort(), null));

        assertThatThrownBy(() -> client.enroll(request(key.substring(0, key.length() - 5))))
                .isInstanceOf(EnrollmentRefusedException.class)
                .hasMessageContaining("truncated")
                .hasMessageContaining("not sent")
                .hasMessageNotContaining("reach")
                .satisfies(e -> assertThat(((EnrollmentRefusedException) e).httpStatus()).isZero());
    }

    @Test
    void a_mistyped_key_is_refused_by_its_checksum_before_anything_is_sent() throws Exception {
        String key = TokenFormat.generate(TokenKind.ENROLLMENT).value();
        char swapped = key.charAt(20) == 'a' ? 'b' : 'a';
        String mistyped = key.substring(0, 20) + swapped + key.substring(21);
        EnrollClient client = new EnrollClient(ServerEndpoint.of("http://127.0.0.1:" + closedPort(), null));

        assertThatThrownBy(() -> client.enroll(request(mistyped)))
                .isInstanceOf(EnrollmentRefusedException.class)
                .hasMessageContaining("mistyped")
                .hasMessageNotContaining(mistyped);
    }

    @Test
    void an_unreachable_server_gives_one_line_naming_the_url() throws Exception {
        int port = closedPort();
        EnrollClient client = new EnrollClient(ServerEndpoint.of("http://127.0.0.1:" + port, null));

        assertThatThrownBy(() -> client.enroll(request(TokenFormat.generate(TokenKind.ENROLLMENT).value())))
                .isInstanceOf(ServerUnreachableException.class)
                .hasMessage("Cannot reach the server at http://127.0.0.1:" + port
                        + ": connection refused — check the --server URL and that the server is running.");
    }

    @Test
    void an_unknown_host_is_named() {
        EnrollClient client = new EnrollClient(ServerEndpoint.of("http://no-such-host.invalid:8080", null));

        assertThatThrownBy(() -> client.enroll(request(TokenFormat.generate(TokenKind.ENROLLMENT).value())))
                .isInstanceOf(ServerUnreachableException.class)
                .hasMessageContaining("http://no-such-host.invalid:8080")
                .hasMessageNotContaining("\n");
    }

    @ParameterizedTest(name = "{0} {1} → {2}")
    @CsvSource(delimiter = '|', textBlock = """
            400 | enrollment_key_malformed | truncated or mistyped
            401 | enrollment_key_unknown   | does not know this enrollment key
            401 | enrollment_key_revoked   | was revoked
            401 | enrollment_key_expired   | has expired
            401 | enrollment_key_exhausted | used up
            409 | robot_name_taken         | --replace
            429 | rate_limited             | try again in 17 s
            400 | validation_failed        | Field 'name' is too long
            403 | forbidden                | not allowed from 10.0.0.9
            """)
    void every_refusal_becomes_one_clear_line(int status, String code, String expected) throws Exception {
        try (FakeBeaconServer server = FakeBeaconServer.start()) {
            server.enrollAnswers(status, "{\"type\":\"about:blank\",\"title\":\"x\",\"status\":" + status + ",\"code\":\"" + code
                    + "\",\"detail\":\"" + (code.equals("forbidden") ? "Enrollment not allowed from 10.0.0.9." : "Field 'name' is too long.") + "\"}");
            EnrollClient client = new EnrollClient(ServerEndpoint.of(server.baseUrl(), null));

            assertThatThrownBy(() -> client.enroll(request(TokenFormat.generate(TokenKind.ENROLLMENT).value())))
                    .isInstanceOf(EnrollmentRefusedException.class)
                    .hasMessageContaining(expected)
                    .hasMessageNotContaining("\n")
                    .hasMessageNotContaining("..")
                    .satisfies(e -> assertThat(((EnrollmentRefusedException) e).code()).isEqualTo(code));
        }
    }

    @Test
    void a_proxy_error_page_is_reported_with_its_status() throws Exception {
        try (FakeBeaconServer server = FakeBeaconServer.start()) {
            server.enrollAnswers(502, "<html>Bad Gateway</html>");
            EnrollClient client = new EnrollClient(ServerEndpoint.of(server.baseUrl(), null));

            assertThatThrownBy(() -> client.enroll(request(TokenFormat.generate(TokenKind.ENROLLMENT).value())))
                    .hasMessageContaining("HTTP 502");
        }
    }

    @Test
    void a_successful_enrollment_returns_the_robot_identity_and_sends_the_spec_fields() throws Exception {
        try (FakeBeaconServer server = FakeBeaconServer.start()) {
            String key = TokenFormat.generate(TokenKind.ENROLLMENT).value();
            EnrollClient client = new EnrollClient(ServerEndpoint.of(server.baseUrl() + "/", null));

            Enrollment enrollment = client.enroll(new EnrollRequest("  " + key + "\n", "bot-1", "test-host", "linux",
                    "amd64", "test", List.of("echo", "sleep", "backup"), Map.of("zone", "a"), true));

            assertThat(enrollment.robotId()).isEqualTo(server.robotId());
            assertThat(enrollment.robotToken()).isEqualTo(server.robotToken());
            assertThat(enrollment.organization()).isEqualTo("default");
            var body = server.lastEnrollBody();
            assertThat(body.path("enrollment_key").asText()).isEqualTo(key);
            assertThat(body.path("name").asText()).isEqualTo("bot-1");
            assertThat(body.path("hostname").asText()).isEqualTo("test-host");
            assertThat(body.path("agent_version").asText()).isEqualTo("test");
            assertThat(body.path("capabilities").toString()).isEqualTo("[\"echo\",\"sleep\",\"backup\"]");
            assertThat(body.path("labels").path("zone").asText()).isEqualTo("a");
            assertThat(body.path("replace").asBoolean()).isTrue();
        }
    }
}
