package dev.beacon.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an HTTP connection whose request headers do not all arrive within a bound. Jetty's idle timeout restarts
 * with every byte, so a client sending one header line every few seconds (slowloris) would hold a connection, and a
 * thread of the parser's attention, for ever. Each connection is looked at every quarter bound on the connector's
 * scheduler; a request still mid-headers at four looks in a row (so for at least three quarters of the bound, at
 * most the bound) is cut. Connections idle between requests are left to the idle timeout; upgraded (WebSocket)
 * and closed ones are no longer watched. Registered as a bean on each connector; thread-safe.
 */
final class HeaderDeadline implements Connection.Listener {
    private static final Logger log = LoggerFactory.getLogger(HeaderDeadline.class);
    /** Looks in a row that must see the same request mid-headers before it is cut. */
    private static final int LOOKS = 4;

    private final long periodMillis;

    HeaderDeadline(Duration bound) {
        this.periodMillis = Math.max(1, bound.toMillis() / LOOKS);
    }

    @Override
    public void onOpened(Connection connection) {
        // HttpConnection is Jetty's HTTP/1.1 connection (an internal type: there is no public view of its parser).
        if (connection instanceof HttpConnection http) {
            new Watch(http).next();
        }
    }

    /** One connection's watch; runs on the scheduler, one look at a time. */
    private final class Watch implements Runnable {
        private final HttpConnection http;
        private long request = -1;
        private int looks;

        Watch(HttpConnection http) {
            this.http = http;
        }

        void next() {
            http.getConnector().getScheduler().schedule(this, periodMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            EndPoint endPoint = http.getEndPoint();
            if (!endPoint.isOpen() || endPoint.getConnection() != http) {
                return; // closed, or upgraded to another protocol
            }
            HttpParser parser = http.getParser();
            boolean midHeaders = !parser.isStart() && parser.inHeaderState();
            long messages = http.getMessagesIn();
            if (!midHeaders) {
                looks = 0;
            } else if (messages != request || looks == 0) {
                request = messages;
                looks = 1;
            } else if (++looks >= LOOKS) {
                log.debug("closing a connection from {}: its request headers took longer than {} ms",
                        endPoint.getRemoteSocketAddress(), periodMillis * LOOKS);
                endPoint.close();
                return;
            }
            next();
        }
    }
}
