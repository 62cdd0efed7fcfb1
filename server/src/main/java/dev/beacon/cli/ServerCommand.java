package dev.beacon.cli;

import dev.beacon.cluster.NodeNameTaken;
import dev.beacon.cluster.NodeSettings;
import dev.beacon.retention.RetentionSettings;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import dev.beacon.store.Database;
import dev.beacon.web.Cidr;
import dev.beacon.web.ClientAddress;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beacon server}: runs the control plane until SIGINT/SIGTERM. */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run the Beacon control plane.")
public final class ServerCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--host", defaultValue = "${env:BEACON_HOST:-127.0.0.1}", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:BEACON_PORT:-8080}", description = "Port; 0 picks a free one and logs it (default: ${DEFAULT-VALUE}).")
    int port;

    @Mixin
    StorageOptions storage;

    @Option(names = "--public-url", defaultValue = "${env:BEACON_PUBLIC_URL}", description = "URL agents use to reach this server, when behind a proxy.")
    String publicUrl;

    @Option(names = "--tls-cert", defaultValue = "${env:BEACON_TLS_CERT}", description = "PEM certificate chain; with --tls-key serves HTTPS.")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:BEACON_TLS_KEY}", description = "PEM PKCS#8 private key for --tls-cert.")
    Path tlsKey;

    @Option(names = "--heartbeat-interval", defaultValue = "${env:BEACON_HEARTBEAT_INTERVAL:-15}",
            description = "Seconds between agent heartbeats (default: ${DEFAULT-VALUE}).")
    int heartbeatInterval;

    @Option(names = "--enroll-refusals-per-minute", defaultValue = "${env:BEACON_ENROLL_REFUSALS_PER_MINUTE:-30}",
            description = "Refused enrollment claims allowed per source address and minute before 429 (default: ${DEFAULT-VALUE}).")
    long refusalsPerMinute;

    @Option(names = "--agent-connects-per-second", defaultValue = "${env:BEACON_AGENT_CONNECTS_PER_SECOND:-1000}",
            description = "Agent connections admitted per second; more get 503 and retry with backoff; 0 = no limit (default: ${DEFAULT-VALUE}).")
    int agentConnectsPerSecond;

    @Option(names = "--downloads-dir", defaultValue = "${env:BEACON_DOWNLOADS_DIR}",
            description = "Directory of the agent packages served at /downloads/ and by /install.sh (default: "
                    + "/usr/share/beacon/downloads if it exists, else downloads beside the jar, else target/downloads of the checkout).")
    Path downloadsDir;

    @Option(names = "--trusted-proxies", defaultValue = "${env:BEACON_TRUSTED_PROXIES}", paramLabel = "CIDR,...",
            description = "Proxies or load balancers (addresses or networks, comma-separated) whose Forwarded / X-Forwarded-For / "
                    + "X-Forwarded-Proto headers name the real client; from any other peer those headers are ignored (default: none).")
    String trustedProxies;

    @Option(names = "--proxy-protocol", defaultValue = "${env:BEACON_PROXY_PROTOCOL:-false}",
            description = "Read a PROXY protocol header (v1 or v2, optional) from the --trusted-proxies, and take the client's address "
                    + "from it; other peers' connections are served as usual and a PROXY header from them is refused (default: off).")
    boolean proxyProtocol;

    @Option(names = "--node-name", defaultValue = "${env:BEACON_NODE_NAME}",
            description = "This node's name among the servers on one PostgreSQL database; a name a live node holds is refused "
                    + "(default: the machine's hostname and the port).")
    String nodeName;

    @Option(names = "--advertise-url", defaultValue = "${env:BEACON_ADVERTISE_URL}",
            description = "The URL other nodes and the dashboard use for this node (default: --public-url, else the hostname and port).")
    String advertiseUrl;

    @Option(names = "--shutdown-grace", defaultValue = "${env:BEACON_SHUTDOWN_GRACE:-20}", paramLabel = "SECONDS",
            description = "On SIGTERM, seconds to wait for the jobs this node's agents run before handing them back to the queue "
                    + "(without using an attempt); meanwhile /readyz answers 503 and no new agents or jobs come here; 0 = no wait "
                    + "(default: ${DEFAULT-VALUE}).")
    int shutdownGrace;

    @Option(names = "--retain-jobs", defaultValue = "${env:BEACON_RETAIN_JOBS:-30d}", paramLabel = "DURATION",
            description = "How long finished jobs are kept, from when they finished (30d, 12h, 30m; 0 = for ever); queued and running "
                    + "jobs are never pruned (default: ${DEFAULT-VALUE}).")
    String retainJobs;

    @Option(names = "--retain-job-output", defaultValue = "${env:BEACON_RETAIN_JOB_OUTPUT:-7d}", paramLabel = "DURATION",
            description = "How long a finished job's output is kept; after that the job stays without it (default: ${DEFAULT-VALUE}).")
    String retainJobOutput;

    @Option(names = "--retain-audit", defaultValue = "${env:BEACON_RETAIN_AUDIT:-365d}", paramLabel = "DURATION",
            description = "How long audit events are kept (default: ${DEFAULT-VALUE}).")
    String retainAudit;

    @Option(names = "--retain-connections", defaultValue = "${env:BEACON_RETAIN_CONNECTIONS:-30d}", paramLabel = "DURATION",
            description = "How long the history of closed robot connections is kept (default: ${DEFAULT-VALUE}).")
    String retainConnections;

    @Option(names = "--retain-robot-tokens", defaultValue = "${env:BEACON_RETAIN_ROBOT_TOKENS:-90d}", paramLabel = "DURATION",
            description = "How long revoked or expired robot tokens are kept after they stopped working (default: ${DEFAULT-VALUE}).")
    String retainRobotTokens;

    @Option(names = "--retain-enrollment-keys", defaultValue = "${env:BEACON_RETAIN_ENROLLMENT_KEYS:-90d}", paramLabel = "DURATION",
            description = "How long revoked or expired enrollment keys are kept after they stopped working; a key a robot enrolled "
                    + "with is kept (default: ${DEFAULT-VALUE}).")
    String retainEnrollmentKeys;

    @Option(names = "--job-output-cap", defaultValue = "${env:BEACON_JOB_OUTPUT_CAP:-1MiB}", paramLabel = "SIZE",
            description = "The most live output (stdout and stderr streamed while a job runs) stored per job, in bytes or with "
                    + "KiB / MiB (512KiB, 4MiB); past it a 'truncated' mark is stored and the rest dropped; 0 = store none "
                    + "(default: ${DEFAULT-VALUE}).")
    String jobOutputCap;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((tlsCert == null) != (tlsKey == null)) {
            err.println("✗ --tls-cert and --tls-key go together: give both, or neither for plain HTTP.");
            return 2;
        }
        String badFlag = port < 0 || port > 65_535 ? "--port must be 0-65535 (got " + port + ")."
                : heartbeatInterval < 1 ? "--heartbeat-interval must be at least 1 (got " + heartbeatInterval + ")."
                : refusalsPerMinute < 1 ? "--enroll-refusals-per-minute must be at least 1 (got " + refusalsPerMinute + ")."
                : agentConnectsPerSecond < 0 ? "--agent-connects-per-second must be 0 or more (got " + agentConnectsPerSecond + ")."
                : shutdownGrace < 0 ? "--shutdown-grace must be 0 or more seconds (got " + shutdownGrace + ")."
                : null;
        if (badFlag != null) {
            err.println("✗ " + badFlag); // name the one flag that is wrong, not every rule
            return 2;
        }
        List<Cidr> proxies;
        try {
            proxies = ClientAddress.parseList(trustedProxies);
        } catch (IllegalArgumentException e) {
            err.println("✗ " + e.getMessage());
            return 2;
        }
        if (proxyProtocol && proxies.isEmpty()) {
            err.println("✗ --proxy-protocol needs --trusted-proxies: the PROXY header is read only from the proxies listed there.");
            return 2;
        }
        long outputCap = sizeOf(jobOutputCap);
        if (outputCap < 0) {
            err.println("✗ --job-output-cap takes a size in bytes, or with KiB or MiB (1MiB, 512KiB), or 0; not '" + jobOutputCap + "'.");
            return 2;
        }
        RetentionSettings retention;
        try {
            retention = new RetentionSettings(retentionOf("--retain-jobs", retainJobs), retentionOf("--retain-job-output", retainJobOutput),
                    retentionOf("--retain-audit", retainAudit), retentionOf("--retain-connections", retainConnections),
                    retentionOf("--retain-robot-tokens", retainRobotTokens), retentionOf("--retain-enrollment-keys", retainEnrollmentKeys));
        } catch (IllegalArgumentException e) {
            err.println("✗ " + e.getMessage());
            return 2;
        }
        ServerConfig config = new ServerConfig(host, port, storage.dataDir, storage.databaseUrl, publicUrl, tlsCert, tlsKey,
                System.getenv("BEACON_SECRET_KEY"), System.getenv("BEACON_ADMIN_PASSWORD"), heartbeatInterval, refusalsPerMinute,
                agentConnectsPerSecond, Clock.systemUTC(), System::nanoTime, downloadsDir, proxies,
                new NodeSettings(nodeName, advertiseUrl, NodeSettings.DEFAULT_RENEWAL, NodeSettings.DEFAULT_EXPIRY),
                java.time.Duration.ofSeconds(shutdownGrace), proxyProtocol, retention, outputCap);
        BeaconServer server;
        try {
            server = BeaconServer.start(config);
        } catch (NodeNameTaken e) {
            err.println("✗ Beacon could not start: " + e.getMessage());
            return 1;
        } catch (Database.SchemaMismatch mismatch) { // on start, only a schema newer than this build's (see Database.open)
            err.println("✗ Beacon could not start: the database has schema version " + mismatch.found() + ", newer than this beacon's "
                    + mismatch.expected() + " (a newer Beacon migrated it): run that version or newer on this node.");
            return 1;
        } catch (RuntimeException e) {
            err.println("✗ Beacon could not start: " + rootMessage(e));
            return 1;
        }
        // The password itself is never printed: this output often ends up in the journal or a log file.
        server.initialAdminPasswordFile().ifPresent(file -> {
            out.println("First start: created organization 'default' and user 'admin'.");
            out.println("Admin password: in " + file.toAbsolutePath() + " (readable by this user only; deleted when admin first signs in).");
        });
        out.println("Beacon is listening on " + server.baseUrl());
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "beacon-shutdown"));
        stopped.await();
        return 0;
    }

    /** A size such as {@code 1048576}, {@code 512KiB} or {@code 1MiB} in bytes (at most 1 GiB), or -1 when it is not one. */
    static long sizeOf(String text) {
        java.util.regex.Matcher size = java.util.regex.Pattern.compile("(\\d{1,10})\\s*(KiB|MiB)?").matcher(text == null ? "" : text.strip());
        if (!size.matches()) {
            return -1;
        }
        long bytes = Long.parseLong(size.group(1)) * ("MiB".equals(size.group(2)) ? 1024 * 1024 : "KiB".equals(size.group(2)) ? 1024 : 1);
        return bytes > 1024L * 1024 * 1024 ? -1 : bytes;
    }

    /** {@code text} as a retention, or an IllegalArgumentException that names {@code flag}. */
    private static java.time.Duration retentionOf(String flag, String text) {
        try {
            return RetentionSettings.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == e ? message : e.getMessage() + " (" + message + ")";
    }
}
