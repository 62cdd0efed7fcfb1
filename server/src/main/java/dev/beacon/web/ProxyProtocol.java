package dev.beacon.web;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ProxyConnectionFactory;

/**
 * The PROXY protocol (v1 and v2) on a listener, read only from the {@code --trusted-proxies}: the first connection
 * factory of the connector, in front of {@code nextProtocol} (TLS or HTTP/1.1). Parsing is Jetty's own
 * {@link ProxyConnectionFactory}; this class only decides, from the TCP peer of each new connection, whether it runs.
 *
 * <ul>
 *   <li>From a trusted proxy, a PROXY header is read and the address it names becomes the connection's remote
 *       address, which {@link ClientAddress} then takes as the peer: so a proxy that passes TCP through unchanged
 *       cannot carry a client's own {@code X-Forwarded-For} with it, unless the address it names is itself a trusted
 *       proxy. The header is optional: Jetty looks at the first bytes, and a connection that starts with HTTP or a
 *       TLS hello is served as it is, from the proxy's own address, as without the option. The proxy is trusted
 *       already, and probes from its network (health checks, metrics scrapers) keep working. {@code PROXY UNKNOWN}
 *       and v2 {@code LOCAL} (HAProxy's health checks) leave the proxy's own address.</li>
 *   <li>From any other peer no PROXY header is looked for: the connection goes straight to {@code nextProtocol}, so a
 *       PROXY line there is just a request line that is not HTTP (answered 400 and closed), or bytes that are not
 *       TLS (the handshake fails), as on a server without the option. No one else can name an address this way.</li>
 * </ul>
 *
 * The trust check sees the real TCP peer: Jetty asks for the connection before any byte is read, on the socket's own
 * endpoint, not yet wrapped in the {@link ProxyConnectionFactory.ProxyEndPoint} that would report the claimed address.
 * Configured once, then thread-safe; {@link #newConnection} runs on Jetty's selector threads.
 */
public final class ProxyProtocol extends ProxyConnectionFactory {
    private final String nextProtocol;
    private final List<Cidr> trustedProxies;

    /** Reads the header from {@code trustedProxies} (not empty), then hands the connection to {@code nextProtocol}. */
    public ProxyProtocol(String nextProtocol, List<Cidr> trustedProxies) {
        super(nextProtocol);
        if (trustedProxies.isEmpty()) {
            throw new IllegalArgumentException("the PROXY protocol needs at least one trusted proxy");
        }
        this.nextProtocol = nextProtocol;
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /** Called by the connector for every accepted connection, with the socket's endpoint. */
    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        if (trusted(endPoint.getRemoteSocketAddress())) {
            return super.newConnection(connector, endPoint);
        }
        ConnectionFactory next = connector.getConnectionFactory(nextProtocol);
        if (next == null) {
            throw new IllegalStateException("no " + nextProtocol + " after the PROXY protocol in " + connector.getProtocols());
        }
        return next.newConnection(connector, endPoint);
    }

    private boolean trusted(SocketAddress peer) {
        if (!(peer instanceof InetSocketAddress socket) || socket.getAddress() == null) {
            return false;
        }
        String ip = socket.getAddress().getHostAddress();
        for (Cidr network : trustedProxies) {
            if (network.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ProxyProtocol[next=" + nextProtocol + ", trusted=" + trustedProxies.stream().map(Cidr::text).toList() + "]";
    }
}
