package dev.beacon.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.Main;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A real Beacon server on a free port over a real database (a SQLite file or a fresh PostgreSQL database),
 * plus an HTTP client and an admin API key minted with the real {@code beacon admin api-key create}.
 */
public final class TestServer implements AutoCloseable {
    public static final ObjectMapper JSON = BeaconServer.objectMapper();

    private final Path dataDir;
    private final String databaseUrl;
    private final ServerConfig config;
    private BeaconServer server;
    private final HttpClient http;
    private final String adminKey;

    private TestServer(Path dataDir, String databaseUrl, ServerConfig config) {
        this.dataDir = dataDir;
        this.databaseUrl = databaseUrl;
        this.config = config;
        this.http = httpClient(config.tlsCert());
        this.server = BeaconServer.start(config);
        this.adminKey = createApiKey("test-admin", "admin");
    }

    /** A client that trusts the server's own certificate when it serves TLS. */
    private static HttpClient httpClient(Path tlsCert) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tlsCert != null) {
            try (var in = Files.newInputStream(tlsCert)) {
                java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (var cert : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trust.setCertificateEntry("cert-" + i++, cert);
                }
                var trustManagers = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                trustManagers.init(trust);
                javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
                ssl.init(null, trustManagers.getTrustManagers(), null);
                builder.sslContext(ssl);
            } catch (IOException | java.security.GeneralSecurityException e) {
                throw new IllegalStateException("cannot trust " + tlsCert, e);
            }
        }
        return builder.build();
    }

    public static TestServer start(Backend backend) {
        return start(backend, UnaryOperator.identity());
    }

    /** Starts a server; {@code customize} adjusts the config (clock, limits, TLS) before it starts. */
    public static TestServer start(Backend backend, UnaryOperator<ServerConfig> customize) {
        try {
            Path dataDir = Files.createTempDirectory("beacon-test-");
            String url = backend.createDatabase(dataDir);
            ServerConfig config = customize.apply(ServerConfig.defaults(dataDir)
                    .withPort(0)
                    .withDatabaseUrl(url)
                    .withAdminPassword("test-password")
                    .withRefusalsPerMinute(10_000));
            return new TestServer(dataDir, url, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops and starts the server on the same database and data dir (a new port unless the config fixed one). */
    public void restart() {
        server.close();
        server = BeaconServer.start(config.withPort(server.port()));
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    /** The running server, e.g. to reach its cluster node. */
    public BeaconServer server() {
        return server;
    }

    /**
     * Starts another server on this one's database and data dir, on a free port: another node of the cluster, with
     * {@code customize} applied to this server's config (give it another node name). The caller closes it.
     */
    public BeaconServer startAnotherNode(UnaryOperator<ServerConfig> customize) {
        return BeaconServer.start(customize.apply(config.withPort(0)));
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The PostgreSQL URL of this server's database, or "" for SQLite. */
    public String databaseUrl() {
        return databaseUrl == null ? "" : databaseUrl;
    }

    public String body(Response response) {
        return response.body();
    }

    public String adminKey() {
        return adminKey;
    }

    /** Runs {@code beacon admin api-key create} on this server's database and returns the printed key. */
    public String createApiKey(String name, String scope) {
        return createApiKey(name, scope, "default");
    }

    /** Like {@link #createApiKey(String, String)} for another organization. */
    public String createApiKey(String name, String scope, String org) {
        CliResult result = runCli("admin", "api-key", "create", "--name", name, "--scope", scope, "--org", org,
                "--data-dir", dataDir.toString(), "--database-url", databaseUrl());
        if (result.exitCode() != 0) {
            throw new IllegalStateException("api-key create failed: " + result.err());
        }
        String[] lines = result.out().strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** The output of one in-process CLI run. */
    public record CliResult(int exitCode, String out, String err) {
    }

    /** Runs a {@code beacon} command in this JVM with {@code stdin} as its standard input. */
    public static synchronized CliResult runCliWithStdin(String stdin, String... args) {
        java.io.InputStream original = System.in;
        System.setIn(new java.io.ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try {
            return runCli(args);
        } finally {
            System.setIn(original);
        }
    }

    /** Runs a {@code beacon} command in this JVM, capturing what it prints. */
    public static CliResult runCli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new CliResult(code, out.toString(), err.toString());
    }

    /** One HTTP exchange with the server; {@code json()} parses the body. */
    public record Response(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String code() {
            return json().path("code").asText(null);
        }
    }

    public Response get(String path, String apiKey) {
        return send(request(path, apiKey).GET());
    }

    public Response post(String path, String body, String apiKey) {
        return send(request(path, apiKey).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response delete(String path, String apiKey) {
        return send(request(path, apiKey).DELETE());
    }

    public HttpRequest.Builder request(String path, String apiKey) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(30));
        if (apiKey != null) {
            builder.header("X-Beacon-API-Key", apiKey);
        }
        return builder;
    }

    public Response send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The sum of every sample of a Prometheus metric on {@code /metrics} (all label sets), or 0 while it has none:
     * a positive signal that the server did something, which a test waits for instead of sleeping.
     */
    public double metric(String name) {
        double sum = 0;
        for (String line : get("/metrics", null).body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Creates a site and a fleet in it; returns {siteId, fleetId}. */
    public String[] siteAndFleet(String siteName, String fleetName) {
        String siteId = post("/api/sites", "{\"name\":\"" + siteName + "\"}", adminKey).json().get("id").asText();
        String fleetId = post("/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"" + fleetName + "\"}", adminKey).json().get("id").asText();
        return new String[] {siteId, fleetId};
    }

    /** Creates an enrollment key in a new site and fleet and returns the create response. */
    public JsonNode enrollmentKey(int maxUses) {
        String suffix = Long.toHexString(System.nanoTime());
        String[] ids = siteAndFleet("site-" + suffix, "fleet-" + suffix);
        Response created = post("/api/enrollment-keys", "{\"site_id\":\"" + ids[0] + "\",\"fleet_id\":\"" + ids[1]
                + "\",\"name\":\"batch-" + suffix + "\",\"max_uses\":" + maxUses + "}", adminKey);
        if (created.status() != 201) {
            throw new IllegalStateException("key create failed: " + created.body());
        }
        return created.json();
    }

    /** Claims {@code key} for a robot named {@code name} straight over HTTP. */
    public Response claim(String key, String name) {
        return post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"" + name + "\"}", null);
    }

    @Override
    public void close() {
        server.close();
        Backend.dropDatabase(databaseUrl);
    }
}
