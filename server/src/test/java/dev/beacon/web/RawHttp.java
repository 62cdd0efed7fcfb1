package dev.beacon.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests that java.net.http refuses to send (bad bytes in the path or a header).
 * One request per connection. Not thread-safe.
 */
final class RawHttp {
    private RawHttp() {
    }

    /** A parsed answer: status, headers (lower-case names, last one wins) and body. */
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends {@code request} (bytes as given, ISO-8859-1) and reads the answer until the server closes or 5 s pass. */
    static Answer send(String baseUrl, String request) throws IOException {
        return sendFrom(null, baseUrl, request);
    }

    /**
     * Like {@link #send}, from the local address {@code from} (such as 127.0.0.2, another loopback address), or any
     * when null: java.net.http cannot choose the address a request leaves from.
     */
    static Answer sendFrom(String from, String baseUrl, String request) throws IOException {
        return sendFrom(from, baseUrl, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Like {@link #sendFrom(String, String, String)}, with bytes that are not all text (a binary PROXY v2 header). */
    static Answer sendFrom(String from, String baseUrl, byte[] request) throws IOException {
        try (Socket socket = connectFrom(from, baseUrl)) {
            return exchange(socket, request);
        }
    }

    /** A socket connected to {@code baseUrl}'s host and port from {@code from} (any when null), with a 5 s read timeout. */
    static Socket connectFrom(String from, String baseUrl) throws IOException {
        URI uri = URI.create(baseUrl);
        Socket socket = new Socket();
        try {
            if (from != null) {
                socket.bind(new InetSocketAddress(from, 0));
            }
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
            socket.setSoTimeout(5_000);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Writes {@code request} on a connected socket (plain or TLS) and reads the answer as {@link #send} does. */
    static Answer exchange(Socket socket, byte[] request) throws IOException {
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        return parse(readAll(socket.getInputStream()));
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                if (complete(out.toByteArray())) {
                    break; // a kept-alive connection would otherwise hold us until the timeout
                }
            }
        } catch (java.net.SocketException | java.net.SocketTimeoutException endedOrSilent) {
            // what arrived is the answer
        }
        return out.toByteArray();
    }

    /** Whether {@code bytes} hold the head and, when it gives a Content-Length, the whole body. */
    private static boolean complete(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(text.substring(0, end));
        return length.find() && bytes.length >= end + 4 + Integer.parseInt(length.group(1));
    }

    private static Answer parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new AssertionError("no complete HTTP answer: '" + text + "'");
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        String body = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = unchunk(body);
        }
        return new Answer(status, headers, body);
    }

    private static String unchunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].strip(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
