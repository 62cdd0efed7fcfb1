package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests Jetty itself refuses before any route runs (bad bytes in the path or headers, oversized headers) still get
 * problem JSON with a code under /api/, sent over raw sockets since java.net.http will not send them.
 */
class MalformedRequestTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Backend.SQLITE);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /api/jobs/%FF%FE HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n",
            "GET /api/../api/jobs HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs/../robots HTTP/1.1\r\nHost: x\r\n",
            "GET /api/%2e%2e/api/jobs HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs/%2F..%2Fx HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs/%00 HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs/%00 HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n",
            "GET /api/jobs/%00 HTTP/1.1\r\nHost: x\r\nAccept: image/png\r\n",
            "POST /api/jobs/%FF HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Length: 0\r\n",
            "GET /api/jobs/a%5Cb HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs//x HTTP/1.1\r\nHost: x\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Beacon-API-Key: a\u0001b\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Bad\u0001Name: b\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Filler: %BIG%\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nHost: y\r\n",
            "GET /api/jobs HTTP/1.1\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n",
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\n folded: line\r\n",
            "GET /api/jobs HTTP/9.9\r\nHost: x\r\n",
    })
    void a_request_jetty_refuses_under_api_is_answered_with_problem_json_and_a_code(String head) throws Exception {
        String request = head.replace("%BIG%", "x".repeat(9 * 1024)) + "Connection: close\r\n\r\n";

        RawHttp.Answer answer = RawHttp.send(server.baseUrl(), request);

        assertThat(answer.status()).as(answer.toString()).isBetween(400, 499);
        assertThat(answer.header("Content-Type")).as(answer.toString()).startsWith("application/problem+json");
        JsonNode problem = TestServer.JSON.readTree(answer.body());
        assertThat(problem.path("code").asText()).as(answer.body()).isNotBlank();
        assertThat(problem.path("status").asInt()).isEqualTo(answer.status());
    }
}
