package dev.beacon.web;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 network such as {@code 10.20.0.0/16}: enrollment keys bound to where machines enroll from, and the
 * trusted proxies of {@link ClientAddress}. Immutable.
 */
public record Cidr(byte[] network, int prefixLength, String text) {

    /** Parses {@code a.b.c.d/n} or {@code v6::/n} (a bare address means a single host); null when malformed. */
    public static Cidr parse(String text) {
        String[] parts = text.strip().split("/", -1);
        // Only literal addresses may reach getByName, so it never does a DNS lookup: dotted IPv4, or IPv6 (with a colon).
        if (parts.length > 2 || !(parts[0].matches("\\d{1,3}(\\.\\d{1,3}){3}") || parts[0].matches("[0-9a-fA-F.]*:[0-9a-fA-F:.]*"))) {
            return null;
        }
        try {
            byte[] address = InetAddress.getByName(parts[0]).getAddress();
            int bits = address.length * 8;
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : bits;
            if (prefix < 0 || prefix > bits) {
                return null;
            }
            return new Cidr(address, prefix, parts[0] + "/" + prefix);
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
    }

    /** Whether {@code ip} (a literal address, as the server saw it) lies in this network. */
    public boolean contains(String ip) {
        // Jetty writes a peer's IPv6 address in brackets ("[2001:db8::1]"); the address is what is inside.
        Cidr host = parse(ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip);
        if (host == null || host.network.length != network.length) {
            return false;
        }
        for (int bit = 0; bit < prefixLength; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((network[bit / 8] & mask) != (host.network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
