package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients: request headers must arrive within a bound (1.5 s here instead of 15 s, so the test need not wait);
 * a connection idle between requests is not cut by that bound. Plain sockets, since java.net.http cannot dribble.
 */
class SlowClientTest {
    private static final Duration BOUND = Duration.ofMillis(1500);

    @TempDir
    Path dataDir;
    BeaconServer server;

    @BeforeEach
    void start() {
        server = BeaconServer.start(ServerConfig.defaults(dataDir).withPort(0).withAdminPassword("test-password"), BOUND);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void a_client_sending_one_header_line_at_a_time_is_disconnected() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(250);
            OutputStream out = socket.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            boolean closed = false;
            // Every 250 ms another header line, for up to 20 s: far longer than the bound, shorter than any idle timeout
            // would need to notice (each line restarts that one).
            for (int line = 0; line < 80 && !closed; line++) {
                try {
                    out.write(("X-Slow-" + line + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    closed = endedOrSilent(socket.getInputStream());
                } catch (SocketException reset) {
                    closed = true;
                }
            }

            assertThat(closed).as("the server closed the connection while headers were still coming").isTrue();
        }
    }

    @Test
    void a_keep_alive_connection_idle_between_requests_longer_than_the_bound_still_serves_the_next_request() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            String request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 200");

            Thread.sleep(BOUND.multipliedBy(2).toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));

            assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 200");
        }
    }

    /** True when the server ended the connection; false when it merely sent nothing within the socket timeout. */
    private static boolean endedOrSilent(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException silent) {
            return false;
        }
    }

    /** Reads one small answer: headers plus the Content-Length body. */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().contains("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            text.append((char) b);
        }
        String head = text.toString();
        int at = head.toLowerCase().indexOf("content-length:");
        if (at >= 0) {
            int length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r\n", at)).strip());
            text.append(new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
        return text.toString();
    }
}
