package dev.beacon.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One hop of a forwarding header: the address it names ({@code for=}, or one {@code X-Forwarded-For} entry) as a
 * normalized literal, or null when it names none ("unknown", an obfuscated name, garbage); and the scheme the client
 * used ({@code proto=}), {@code http}, {@code https} or null. Immutable.
 */
record ForwardedElement(String address, String proto) {

    /** The elements of an RFC 7239 {@code Forwarded} value, leftmost (nearest the client) first. */
    static List<ForwardedElement> parseForwarded(String header) {
        List<ForwardedElement> elements = new ArrayList<>();
        for (String element : split(header, ',')) {
            String address = null;
            String proto = null;
            for (String pair : split(element, ';')) {
                int equals = pair.indexOf('=');
                if (equals < 0) {
                    continue;
                }
                String name = pair.substring(0, equals).strip().toLowerCase(Locale.ROOT);
                String value = unquote(pair.substring(equals + 1).strip());
                if (name.equals("for")) {
                    address = address(value);
                } else if (name.equals("proto")) {
                    proto = proto(value);
                }
            }
            elements.add(new ForwardedElement(address, proto));
        }
        return elements;
    }

    /**
     * The elements of {@code X-Forwarded-For} (leftmost first), the rightmost carrying the rightmost
     * {@code X-Forwarded-Proto} value: the scheme the proxy next to us reports.
     */
    static List<ForwardedElement> parseXForwarded(String forwardedFor, String forwardedProto) {
        List<ForwardedElement> elements = new ArrayList<>();
        if (forwardedFor != null) {
            for (String entry : forwardedFor.split(",")) {
                if (!entry.isBlank()) {
                    elements.add(new ForwardedElement(address(entry.strip()), null));
                }
            }
        }
        String proto = null;
        if (forwardedProto != null) {
            String[] values = forwardedProto.split(",");
            proto = values.length == 0 ? null : proto(values[values.length - 1].strip());
        }
        if (proto != null) {
            if (elements.isEmpty()) {
                elements.add(new ForwardedElement(null, proto));
            } else {
                elements.set(elements.size() - 1, new ForwardedElement(elements.getLast().address(), proto));
            }
        }
        return elements;
    }

    /**
     * A node as a normalized literal address: {@code 192.0.2.1}, {@code 192.0.2.1:4711}, {@code [2001:db8::1]:4711},
     * or a bare IPv6 address; null for anything else. Never looks up a name.
     */
    static String address(String node) {
        String host = node;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = host.substring(1, close);
        } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            host = host.substring(0, host.indexOf(':')); // IPv4 with a port
        }
        if (host.isEmpty() || host.contains("/") || Cidr.parse(host) == null) {
            return null; // Cidr.parse admits only literals, so getByName below never does DNS
        }
        try {
            return InetAddress.getByName(host).getHostAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String proto(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.equals("http") || lower.equals("https") ? lower : null;
    }

    /** Splits on {@code separator} outside double quotes. */
    private static List<String> split(String text, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '\\' && quoted && i + 1 < text.length()) {
                part.append(c);
                c = text.charAt(++i);
            } else if (c == separator && !quoted) {
                parts.add(part.toString().strip());
                part.setLength(0);
                continue;
            }
            part.append(c);
        }
        parts.add(part.toString().strip());
        return parts;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            return value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
        }
        return value;
    }
}
