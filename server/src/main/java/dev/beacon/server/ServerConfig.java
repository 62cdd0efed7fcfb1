package dev.beacon.server;

import dev.beacon.cluster.NodeSettings;
import dev.beacon.retention.RetentionSettings;
import dev.beacon.web.Cidr;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Everything a server needs to start, with the defaults of {@code beacon server}. Immutable; tests build
 * one with {@link #defaults(Path)} and the {@code with…} methods.
 *
 * @param databaseUrl        a {@code jdbc:postgresql://…} URL, or null for SQLite under {@code dataDir}
 * @param publicUrl          the URL agents and browsers use, when it differs from what requests show (a proxy)
 * @param secretKeyHex       the server secret as 64 hex digits, or null to use {@code dataDir/secret.key}
 * @param adminPassword      the first-start admin password, or null to generate one
 * @param refusalsPerMinute  refused enrollment claims allowed per source address and minute
 * @param agentConnectsPerSecond  agent WebSocket upgrades admitted per second (0: no limit)
 * @param clock              wall-clock time: timestamps, expiry
 * @param ticker             monotonic nanoseconds for liveness (heartbeat and hello timeouts), {@code System::nanoTime};
 *                           tests pass one they advance by hand
 * @param trustedProxies     peers whose {@code Forwarded} / {@code X-Forwarded-*} headers are believed (see
 *                           {@link dev.beacon.web.ClientAddress}); empty: none
 * @param node               this server as a node of the cluster: name, advertised URL, lease timing
 * @param downloadsDir       where the agent artifacts {@code /downloads/} serves are, or null for
 *                           {@link dev.beacon.downloads.Downloads#defaultDirectory()}
 * @param shutdownGrace      how long a clean shutdown waits for the jobs its agents run before it hands them back to
 *                           the queue ({@link NodeDrain}); zero: not at all
 * @param proxyProtocol      whether the listener reads a PROXY protocol header (v1 or v2) from the {@code trustedProxies}
 *                           ({@link dev.beacon.web.ProxyProtocol}); only with trusted proxies
 * @param retention          how long each kind of history is kept before {@link dev.beacon.retention.Pruner} deletes it;
 *                           null: {@link RetentionSettings#defaults()}
 * @param jobOutputCapBytes  the most live output stored per job, in bytes ({@code --job-output-cap}); 0 stores none
 */
public record ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl,
                           Path tlsCert, Path tlsKey, String secretKeyHex, String adminPassword,
                           int heartbeatIntervalSeconds, long refusalsPerMinute, int agentConnectsPerSecond, Clock clock,
                           LongSupplier ticker, Path downloadsDir, List<Cidr> trustedProxies, NodeSettings node,
                           Duration shutdownGrace, boolean proxyProtocol, RetentionSettings retention, long jobOutputCapBytes) {
    /**
     * 20 s: long enough for short jobs to end, and with the rest of a shutdown well within systemd's default
     * {@code TimeoutStopSec} of 90 s (and Kubernetes' default 30 s termination grace).
     */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(20);

    public ServerConfig {
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        node = node == null ? NodeSettings.defaults() : node;
        shutdownGrace = shutdownGrace == null ? DEFAULT_SHUTDOWN_GRACE : shutdownGrace;
        retention = retention == null ? RetentionSettings.defaults() : retention;
        if (jobOutputCapBytes < 0) {
            throw new IllegalArgumentException("jobOutputCapBytes must not be negative: " + jobOutputCapBytes);
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative: " + shutdownGrace);
        }
        if (proxyProtocol && trustedProxies.isEmpty()) {
            throw new IllegalArgumentException("the PROXY protocol is read only from trusted proxies: give trustedProxies too");
        }
    }

    /** A config with the default live job output cap (1 MiB). */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl, Path tlsCert, Path tlsKey,
                        String secretKeyHex, String adminPassword, int heartbeatIntervalSeconds, long refusalsPerMinute,
                        int agentConnectsPerSecond, Clock clock, LongSupplier ticker, Path downloadsDir, List<Cidr> trustedProxies,
                        NodeSettings node, Duration shutdownGrace, boolean proxyProtocol, RetentionSettings retention) {
        this(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword, heartbeatIntervalSeconds,
                refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node, shutdownGrace, proxyProtocol,
                retention, dev.beacon.joboutput.JobOutputService.DEFAULT_CAP_BYTES);
    }

    /** A config with the default retention. */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl, Path tlsCert, Path tlsKey,
                        String secretKeyHex, String adminPassword, int heartbeatIntervalSeconds, long refusalsPerMinute,
                        int agentConnectsPerSecond, Clock clock, LongSupplier ticker, Path downloadsDir, List<Cidr> trustedProxies,
                        NodeSettings node, Duration shutdownGrace, boolean proxyProtocol) {
        this(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword, heartbeatIntervalSeconds,
                refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node, shutdownGrace, proxyProtocol,
                null);
    }

    /** A config without the PROXY protocol. */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl, Path tlsCert, Path tlsKey,
                        String secretKeyHex, String adminPassword, int heartbeatIntervalSeconds, long refusalsPerMinute,
                        int agentConnectsPerSecond, Clock clock, LongSupplier ticker, Path downloadsDir, List<Cidr> trustedProxies,
                        NodeSettings node, Duration shutdownGrace) {
        this(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword, heartbeatIntervalSeconds,
                refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node, shutdownGrace, false);
    }

    /** A config with the default shutdown grace. */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl, Path tlsCert, Path tlsKey,
                        String secretKeyHex, String adminPassword, int heartbeatIntervalSeconds, long refusalsPerMinute,
                        int agentConnectsPerSecond, Clock clock, LongSupplier ticker, Path downloadsDir, List<Cidr> trustedProxies,
                        NodeSettings node) {
        this(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword, heartbeatIntervalSeconds,
                refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node, DEFAULT_SHUTDOWN_GRACE);
    }

    /** A config with the default node settings (a name from the hostname and port, a 3 s lease renewal). */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl, Path tlsCert, Path tlsKey,
                        String secretKeyHex, String adminPassword, int heartbeatIntervalSeconds, long refusalsPerMinute,
                        int agentConnectsPerSecond, Clock clock, LongSupplier ticker, Path downloadsDir, List<Cidr> trustedProxies) {
        this(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword, heartbeatIntervalSeconds,
                refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, NodeSettings.defaults());
    }

    /** A config with no trusted proxies and the default node settings. */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, String publicUrl, Path tlsCert, Path tlsKey,
                        String secretKeyHex, String adminPassword, int heartbeatIntervalSeconds, long refusalsPerMinute,
                        int agentConnectsPerSecond, Clock clock, LongSupplier ticker, Path downloadsDir) {
        this(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword, heartbeatIntervalSeconds,
                refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, List.of(), NodeSettings.defaults());
    }

    public static ServerConfig defaults(Path dataDir) {
        return new ServerConfig("127.0.0.1", 8080, dataDir, null, null, null, null, null, null, 15, 30, 1_000, Clock.systemUTC(),
                System::nanoTime, null, List.of(), NodeSettings.defaults());
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withDatabaseUrl(String url) {
        return new ServerConfig(host, port, dataDir, url, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withTls(Path cert, Path key) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, cert, key, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withAdminPassword(String password) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, password,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withRefusalsPerMinute(long limit) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, limit, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withHeartbeatInterval(int seconds) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                seconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withAgentConnectsPerSecond(int perSecond) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, perSecond, clock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withClock(Clock newClock) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, newClock, ticker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withTicker(LongSupplier newTicker) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, newTicker, downloadsDir, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withDownloadsDir(Path directory) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, directory, trustedProxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withNode(NodeSettings newNode) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies,
                newNode, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withTrustedProxies(List<Cidr> proxies) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, proxies,
                node, shutdownGrace, proxyProtocol, retention, jobOutputCapBytes);
    }

    public ServerConfig withShutdownGrace(Duration grace) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node,
                grace, proxyProtocol, retention, jobOutputCapBytes);
    }

    /** Reads the PROXY protocol header from the trusted proxies ({@link dev.beacon.web.ProxyProtocol}); needs trusted proxies. */
    public ServerConfig withProxyProtocol(boolean on) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node,
                shutdownGrace, on, retention, jobOutputCapBytes);
    }

    /** Keeps each kind of history as {@code newRetention} says ({@link dev.beacon.retention.Pruner}). */
    public ServerConfig withRetention(RetentionSettings newRetention) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node,
                shutdownGrace, proxyProtocol, newRetention, jobOutputCapBytes);
    }

    /** Stores at most {@code bytes} of live output per job ({@link dev.beacon.joboutput.JobOutputService}); 0 stores none. */
    public ServerConfig withJobOutputCap(long bytes) {
        return new ServerConfig(host, port, dataDir, databaseUrl, publicUrl, tlsCert, tlsKey, secretKeyHex, adminPassword,
                heartbeatIntervalSeconds, refusalsPerMinute, agentConnectsPerSecond, clock, ticker, downloadsDir, trustedProxies, node,
                shutdownGrace, proxyProtocol, retention, bytes);
    }

    /** The JDBC URL in effect: the PostgreSQL URL if given, else the SQLite file under the data dir. */
    public String effectiveDatabaseUrl() {
        return databaseUrl != null && !databaseUrl.isBlank() ? databaseUrl : dev.beacon.store.Database.sqliteUrl(dataDir);
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", database="
                + (databaseUrl == null ? "sqlite" : databaseUrl.replaceAll("password=[^&]*", "password=***"))
                + ", publicUrl=" + publicUrl + ", tls=" + (tlsCert != null) + ", trustedProxies=" + trustedProxies.stream().map(Cidr::text).toList() + ", node=" + node + ", shutdownGrace=" + shutdownGrace.toSeconds() + "s, proxyProtocol=" + proxyProtocol + "]";
    }
}
