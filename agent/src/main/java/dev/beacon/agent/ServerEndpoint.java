package dev.beacon.agent;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Where the control plane is and how to trust it: the base URL, the optional private CA, and the HTTP client
 * built from them. Immutable and thread-safe; the client it builds is thread-safe too.
 *
 * @param base    the server's base URL without a trailing slash, e.g. {@code https://beacon.example.com}
 * @param caCert  PEM file with the only CA(s) to trust for HTTPS, or null for the JDK's default trust store
 */
public record ServerEndpoint(URI base, Path caCert) {
    /** How long the agent waits for a connection (TCP, TLS and the WebSocket upgrade) before it gives up and backs off. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final String WEBSOCKET_PATH = "/api/agent/ws";

    public ServerEndpoint {
        if (base == null || base.getScheme() == null || base.getHost() == null
                || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
            throw new AgentException("The server URL must look like https://beacon.example.com (got " + base + ").");
        }
    }

    /** Parses a user-typed server URL and CA path (either may come from a flag or from agent.toml). */
    public static ServerEndpoint of(String server, String caCert) {
        if (server == null || server.isBlank()) {
            throw new AgentException("No server URL: pass --server https://beacon.example.com.");
        }
        String trimmed = server.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        if (!trimmed.contains("://")) {
            // Without this, "127.0.0.1:8080" fails as "Illegal character in scheme name" and "localhost:8080"
            // parses as the scheme "localhost"; neither tells the user what to do.
            throw new AgentException("The server URL " + trimmed + " has no scheme: add http:// or https://, e.g. https://"
                    + trimmed + ".");
        }
        try {
            return new ServerEndpoint(new URI(trimmed), caCert == null || caCert.isBlank() ? null : Path.of(caCert));
        } catch (URISyntaxException e) {
            throw new AgentException("The server URL " + server + " is not a valid URL: " + e.getReason() + ".");
        }
    }

    /** The endpoint an agent config points at first. */
    public static ServerEndpoint of(AgentConfig config) {
        return of(config.server(), config.caCert());
    }

    /**
     * Every endpoint of {@code urls}, in order, all trusting {@code caCert}: the nodes of one control plane share
     * one certificate authority. Throws {@link AgentException} for an empty list or any unusable URL.
     */
    public static List<ServerEndpoint> allOf(List<String> urls, String caCert) {
        if (urls == null || urls.isEmpty()) {
            return List.of(of((String) null, caCert)); // throws the "No server URL" line
        }
        List<ServerEndpoint> endpoints = new ArrayList<>();
        for (String url : urls) {
            ServerEndpoint endpoint = of(url, caCert);
            if (!endpoints.contains(endpoint)) {
                endpoints.add(endpoint); // "https://a/" and "https://a" are one server
            }
        }
        return List.copyOf(endpoints);
    }

    /** Every endpoint an agent config lists, in the order they are tried. */
    public static List<ServerEndpoint> allOf(AgentConfig config) {
        return allOf(config.servers(), config.caCert());
    }

    /** {@code base + apiPath}, e.g. {@code resolve("/api/enroll")}. */
    public URI resolve(String apiPath) {
        return URI.create(base + apiPath);
    }

    /**
     * The WebSocket URL, always derived from the base URL: {@code ws(s)://host[:port][/prefix]/api/agent/ws}. Never
     * a saved or announced URL, so pointing {@code server} elsewhere moves the socket with it.
     */
    public URI websocketUri() {
        String wsBase = (base.getScheme().equals("https") ? "wss" : "ws") + base.toString().substring(base.getScheme().length());
        return URI.create(wsBase + WEBSOCKET_PATH);
    }

    /** A new HTTP/1.1 client trusting only {@link #caCert()} when set; redirects are not followed. */
    public HttpClient httpClient() {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (caCert != null) {
            builder.sslContext(trusting(caCert));
        }
        return builder.build();
    }

    /** An SSL context that trusts the certificates in {@code pemFile} and nothing else. */
    static SSLContext trusting(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new AgentException("The CA file " + pemFile.toAbsolutePath() + " holds no certificate — pass a PEM file to --ca-cert.");
            }
            KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
            trustStore.load(null, null);
            int index = 0;
            for (Certificate certificate : certificates) {
                trustStore.setCertificateEntry("ca-" + index++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new AgentException("Cannot read the CA file " + pemFile.toAbsolutePath() + ": " + e.getMessage() + ".");
        } catch (GeneralSecurityException e) {
            throw new AgentException("The CA file " + pemFile.toAbsolutePath() + " is not a PEM certificate: " + e.getMessage() + ".");
        }
    }
}
