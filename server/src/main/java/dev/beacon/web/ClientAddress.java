package dev.beacon.web;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * The one place that decides who a request comes from: the TCP peer, or, only when that peer is one of the
 * {@code --trusted-proxies}, the client the proxy names in {@code Forwarded} (RFC 7239) or {@code X-Forwarded-For},
 * with the scheme from {@code Forwarded: proto=} or {@code X-Forwarded-Proto}. From any other peer those headers are
 * ignored entirely.
 *
 * <p>It is a Jetty request customizer, so it runs before anything else sees the request, WebSocket upgrades
 * included: {@code ctx.ip()} and {@code ctx.scheme()} then give the resolved client everywhere (throttles, enrollment
 * keys' {@code allowed_cidrs}, the audit log, a machine's "IP as seen", the public URL, secure cookies), and no
 * route can forget to ask. With {@code --proxy-protocol}, the peer it starts from is the address a trusted proxy's
 * PROXY header named ({@link ProxyProtocol} decided, on the real TCP peer, whether to read that header): one more hop
 * vouched for by a trusted proxy, so forwarding headers count only if that address is a trusted proxy too. Immutable
 * and thread-safe; runs on Jetty's request threads.
 */
public final class ClientAddress implements HttpConfiguration.Customizer {
    private final List<Cidr> trustedProxies;

    /** The client and scheme a request resolves to; {@code scheme} is null when the request's own one stands. */
    public record Resolved(String ip, String scheme) {
    }

    /** {@code trustedProxies} are the peers whose forwarding headers are believed; empty means none. */
    public ClientAddress(List<Cidr> trustedProxies) {
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /**
     * Parses {@code --trusted-proxies}: networks or addresses separated by commas.
     *
     * @throws IllegalArgumentException naming the entry that is not an address or network
     */
    public static List<Cidr> parseList(String text) {
        List<Cidr> networks = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return networks;
        }
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            Cidr cidr = Cidr.parse(entry);
            if (cidr == null) {
                throw new IllegalArgumentException("--trusted-proxies: '" + entry.strip()
                        + "' is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24");
            }
            networks.add(cidr);
        }
        return networks;
    }

    /**
     * Who a request from {@code peer} comes from, given its forwarding headers (each the values of every header line
     * of that name joined with commas, or null when absent).
     */
    public Resolved resolve(String peer, String forwarded, String xForwardedFor, String xForwardedProto) {
        if (!trusted(peer)) {
            return new Resolved(peer, null);
        }
        List<ForwardedElement> hops = forwarded != null && !forwarded.isBlank()
                ? ForwardedElement.parseForwarded(forwarded)
                : ForwardedElement.parseXForwarded(xForwardedFor, xForwardedProto);
        // Walk from the proxy next to us towards the client: every hop a trusted proxy added is believed, and the
        // first hop that is not a trusted proxy is the client. Anything left of it was written by the client itself
        // (or by proxies we know nothing of), so a spoofed "X-Forwarded-For: 1.1.1.1" at the left changes nothing.
        String client = peer;
        String scheme = null;
        for (int i = hops.size() - 1; i >= 0; i--) {
            ForwardedElement hop = hops.get(i);
            if (hop.proto() != null && scheme == null) {
                scheme = hop.proto();
            }
            if (hop.address() == null) {
                break; // "unknown" or an obfuscated name: the proxy that reported it is the last we can name
            }
            client = hop.address();
            if (!trusted(client)) {
                break;
            }
        }
        return new Resolved(client, scheme);
    }

    private boolean trusted(String ip) {
        for (Cidr network : trustedProxies) {
            if (network.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders) {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        if (!(remote instanceof InetSocketAddress peerSocket) || peerSocket.getAddress() == null) {
            return request;
        }
        String peer = peerSocket.getAddress().getHostAddress();
        HttpFields headers = request.getHeaders();
        Resolved resolved = resolve(peer, joined(headers, "Forwarded"), joined(headers, "X-Forwarded-For"),
                joined(headers, "X-Forwarded-Proto"));
        if (resolved.ip().equals(peer) && resolved.scheme() == null) {
            return request;
        }
        InetSocketAddress client = resolved.ip().equals(peer) ? peerSocket : new InetSocketAddress(literal(resolved.ip()), 0);
        HttpURI uri = resolved.scheme() == null ? request.getHttpURI() : HttpURI.build(request.getHttpURI()).scheme(resolved.scheme());
        boolean secure = resolved.scheme() == null ? request.isSecure() : "https".equals(resolved.scheme());
        return new Forwarded(request, client, uri, secure);
    }

    private static String joined(HttpFields headers, String name) {
        Enumeration<String> values = headers.getValues(name);
        StringBuilder joined = null;
        while (values.hasMoreElements()) {
            String value = values.nextElement();
            joined = joined == null ? new StringBuilder(value) : joined.append(',').append(value);
        }
        return joined == null ? null : joined.toString();
    }

    /** An address {@link ForwardedElement} already checked to be a literal, so this never looks up a name. */
    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not a literal address: " + ip, e);
        }
    }

    /** The request as the client sent it to the proxy: its address, scheme and whether it was secure. */
    private static final class Forwarded extends Request.Wrapper {
        private final HttpURI uri;
        private final boolean secure;
        private final ConnectionMetaData connection;

        Forwarded(Request request, InetSocketAddress client, HttpURI uri, boolean secure) {
            super(request);
            this.uri = uri;
            this.secure = secure;
            this.connection = new ConnectionMetaData.Wrapper(request.getConnectionMetaData()) {
                @Override
                public SocketAddress getRemoteSocketAddress() {
                    return client;
                }

                @Override
                public boolean isSecure() {
                    return secure;
                }
            };
        }

        @Override
        public HttpURI getHttpURI() {
            return uri;
        }

        @Override
        public boolean isSecure() {
            return secure;
        }

        @Override
        public ConnectionMetaData getConnectionMetaData() {
            return connection;
        }
    }

    @Override
    public String toString() {
        return "ClientAddress[trusted=" + trustedProxies.stream().map(Cidr::text).toList() + "]";
    }
}
