package dev.beacon.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.beacon.agentchannel.AgentChannel;
import dev.beacon.apikeys.ApiKeyRoutes;
import dev.beacon.apikeys.ApiKeyService;
import dev.beacon.apikeys.ApiKeyStore;
import dev.beacon.apikeys.UsageTracker;
import dev.beacon.audit.AuditLog;
import dev.beacon.audit.AuditRoutes;
import dev.beacon.audit.InstanceAuditRoutes;
import dev.beacon.cluster.ClusterNode;
import dev.beacon.cluster.NodeLoss;
import dev.beacon.cluster.NodeRoutes;
import dev.beacon.cluster.ClusterSignals;
import dev.beacon.dashboard.AssetRoutes;
import dev.beacon.dashboard.Assets;
import dev.beacon.dashboard.DashboardAuth;
import dev.beacon.dashboard.DashboardReads;
import dev.beacon.dashboard.DashboardRoutes;
import dev.beacon.dashboard.LiveFeed;
import dev.beacon.dashboard.SessionStore;
import dev.beacon.dashboard.SignIn;
import dev.beacon.downloads.DownloadRoutes;
import dev.beacon.downloads.Downloads;
import dev.beacon.enrollment.EnrollmentRoutes;
import dev.beacon.enrollment.EnrollmentService;
import dev.beacon.jobs.Dispatcher;
import dev.beacon.jobs.JobRoutes;
import dev.beacon.joboutput.JobOutputRoutes;
import dev.beacon.joboutput.JobOutputService;
import dev.beacon.jobs.JobService;
import dev.beacon.jobs.JobStore;
import dev.beacon.jobs.JobView;
import dev.beacon.jobs.QueueGauges;
import dev.beacon.openapi.OpenApiRoutes;
import dev.beacon.orgs.OrgRoutes;
import dev.beacon.orgs.OrgService;
import dev.beacon.orgs.OrgStore;
import dev.beacon.retention.Pruner;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.RobotAuth;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.RobotRoutes;
import dev.beacon.robots.RobotLabelRoutes;
import dev.beacon.robots.RobotService;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.DataDir;
import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.Ids;
import dev.beacon.tokens.SecretBox;
import dev.beacon.users.UserStore;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.BodyLimit;
import dev.beacon.web.JsonInput;
import dev.beacon.web.ProblemErrorHandler;
import dev.beacon.web.Problems;
import dev.beacon.web.ClientAddress;
import dev.beacon.web.ProxyProtocol;
import dev.beacon.web.PublicUrl;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Beacon server: the whole object graph, built by hand in {@link #start}, which tests call too.
 * {@link #close} stops it and flushes what is buffered. Thread-safe.
 *
 * <p>Over 400 lines on purpose: {@code wire} builds every part in the order the server depends on (database, node,
 * signals, stores, dispatcher, channel, routes, scheduler), and that order reads best in one place, top to bottom.
 */
public final class BeaconServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BeaconServer.class);
    /** The largest frame an agent may send; larger ones close its connection with status 1009. */
    static final int MAX_AGENT_FRAME_BYTES = 1024 * 1024;
    /** How long a request's headers may take to arrive: far beyond any real client, short enough to cut slowloris. */
    static final Duration HEADER_TIMEOUT = Duration.ofSeconds(15);

    private final Javalin app;
    private final Database db;
    private final UsageTracker usage;
    private final AgentChannel channel;
    private final Dispatcher dispatcher;
    private final LiveFeed live;
    private final ScheduledExecutorService scheduler;
    private final int port;
    private final String baseUrl;
    private final Optional<Path> initialAdminPasswordFile;
    /** The SQLite data dir's lock, held until {@link #close}; null on PostgreSQL. */
    private final DataDir.Lock lock;
    private final ClusterNode node;
    /** Signals to and from the other nodes on PostgreSQL; null on SQLite. */
    private final ClusterSignals signals;
    /** The first part of {@link #close}: no new agents or jobs, and a grace period for the jobs running. */
    private final NodeDrain drain;
    /** Deletes history past its retention, on a thread of its own. */
    private final Pruner pruner;
    /** Stores live job output in batches; closed before the web server stops, so that its followers end. */
    private final JobOutputService jobOutput;
    /** Set by the first {@link #close}: a second one (a test's, after the shutdown hook's) does nothing. */
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private BeaconServer(Javalin app, Database db, UsageTracker usage, AgentChannel channel, Dispatcher dispatcher, LiveFeed live,
                         ScheduledExecutorService scheduler, int port, String baseUrl, Optional<Path> initialAdminPasswordFile,
                         DataDir.Lock lock, ClusterNode node, ClusterSignals signals, NodeDrain drain, Pruner pruner,
                         JobOutputService jobOutput) {
        this.drain = drain;
        this.jobOutput = jobOutput;
        this.pruner = pruner;
        this.lock = lock;
        this.node = node;
        this.signals = signals;
        this.dispatcher = dispatcher;
        this.live = live;
        this.app = app;
        this.db = db;
        this.usage = usage;
        this.channel = channel;
        this.scheduler = scheduler;
        this.port = port;
        this.baseUrl = baseUrl;
        this.initialAdminPasswordFile = initialAdminPasswordFile;
    }

    /**
     * Jetty's acceptor and selector on platform threads, and every task that may block (a request, a WebSocket
     * upgrade) on a virtual thread of its own. Javalin's virtual-thread pool runs the selector itself on a virtual
     * thread, which the JDK parks and wakes through its own poller: two wake-ups and a hand-off between carrier threads
     * for every read. No reserved threads: with them, Jetty runs a blocking task on the selector's platform thread and
     * hands the selecting to another, instead of starting a virtual thread.
     */
    private static QueuedThreadPool jettyThreads() {
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("jetty");
        threads.setReservedThreads(0);
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("jetty-vt-"));
        return threads;
    }

    /**
     * The JSON conventions of the API: snake_case fields, RFC 3339 UTC timestamps. This mapper reads what Beacon
     * stored and writes answers, with no nesting limit: a row stored deep (before input was limited) must stay
     * readable. Input from clients and agents goes through {@link JsonInput}, which limits nesting.
     */
    public static ObjectMapper objectMapper() {
        // Request handlers run on virtual threads, where Jackson's default thread-local buffer recycling
        // never reuses anything; a shared pool does.
        JsonFactory factory = JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedLockFreePool())
                // Jackson's default of 1000 levels made a job with a 998-level payload unreadable for ever once wrapped
                // in a page of jobs. Reading a tree is iterative in Jackson, so no depth costs stack here.
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
                .build();
        return new ObjectMapper(factory)
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    }

    /**
     * Prepares and (on SQLite) locks the data dir, opens the database (migrating it), starts serving, and
     * bootstraps a first start once the listener is bound.
     */
    public static BeaconServer start(ServerConfig config) {
        return start(config, HEADER_TIMEOUT);
    }

    /** {@link #start(ServerConfig)} with another bound on how long request headers may take; for tests. */
    static BeaconServer start(ServerConfig config, Duration headerTimeout) {
        long startedAt = System.nanoTime();
        ObjectMapper json = objectMapper();
        // The lock comes before anything reads or writes the database: a second server on the same SQLite file
        // would mark the first one's live robots offline (PresenceStore.resetAbandoned sees no other live node there).
        DataDir.Lock lock = ServerStorage.prepare(config);
        try {
            Database db = Database.open(config.effectiveDatabaseUrl());
            ClusterNode node = null;
            try {
                ServerStorage.tighten(config);
                // Before anything touches robots: the node's name is checked, and its id is what its sessions carry.
                node = ClusterNode.register(db, config.clock(), config.node(), config.port(), config.publicUrl(), db.dialect() == Dialect.SQLITE);
                return wire(config, json, db, node, startedAt, lock, headerTimeout);
            } catch (RuntimeException e) {
                if (node != null) {
                    node.stop();
                }
                db.close();
                throw e;
            }
        } catch (RuntimeException e) {
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
    }

    private static BeaconServer wire(ServerConfig config, ObjectMapper json, Database db, ClusterNode node, long startedAt,
                                     DataDir.Lock lock, Duration headerTimeout) {
        var clock = config.clock();
        Ids ids = new Ids(clock);
        SecretBox secretBox = SecretBox.load(config.secretKeyHex(), config.dataDir());
        SecretKeyCheck.run(db, secretBox, clock); // before this node writes anything sealed under its key
        AuditLog audit = new AuditLog(db, ids, clock);
        OrgStore orgs = new OrgStore(db, ids, clock);
        UserStore users = new UserStore(db, ids, clock);

        PrometheusMeterRegistry metrics = Metrics.registry(db);
        // On PostgreSQL other nodes may hold sockets and caches that what this node decides must reach.
        // Signals carry this node's id, so a node ignores its own.
        ClusterSignals signals = db.dialect() == Dialect.POSTGRESQL
                ? ClusterSignals.open(config.effectiveDatabaseUrl(), node.id(), json, metrics) : null;
        ApiKeyStore apiKeyStore = new ApiKeyStore(db);
        UsageTracker usage = new UsageTracker(apiKeyStore, clock);
        ApiKeyService apiKeys = new ApiKeyService(db, apiKeyStore, usage, audit, ids, clock,
                signals == null ? keyId -> { } : signals::apiKeyRevoked);
        SessionStore sessions = new SessionStore(db, ids, clock);
        DashboardAuth dashboardAuth = new DashboardAuth(sessions);
        Auth auth = new Auth(apiKeys, dashboardAuth);
        RobotStore robots = new RobotStore(db, json);
        RobotAuth robotAuth = new RobotAuth(robots, clock);
        PresenceStore presence = new PresenceStore(db, ids, json, node::id);
        int staleSessions = presence.resetAbandoned(clock.instant(), node.liveSince());
        if (staleSessions > 0) {
            log.info("marked {} {} offline that a previous run or a dead node left online; their agents will reconnect", staleSessions,
                    staleSessions == 1 ? "robot" : "robots");
        }
        JobStore jobStore = new JobStore(db, json);
        Dispatcher dispatcher = new Dispatcher(jobStore, robots, clock, json, metrics);
        if (signals != null) {
            dispatcher.placeAcrossNodes(node::id, signals::jobHandedOver);
        }
        int reconciled = dispatcher.reconcileAtStart(node.liveSince());
        if (reconciled > 0) {
            log.info("requeued (or ended) {} jobs that agents held when the previous run or a dead node stopped", reconciled);
        }
        node.attach(NodeLoss.of(dispatcher::nodeLost, presence::nodeLost));
        LocalFleetEvents localEvents = new LocalFleetEvents(dispatcher);
        FleetEvents events = signals == null ? localEvents : signals.events(localEvents);
        JobService jobService = new JobService(jobStore, robots, dispatcher, ids, clock, metrics, events);
        JobOutputService jobOutput = new JobOutputService(db, jobService, clock, config.jobOutputCapBytes(), metrics);
        // Agent frames are input: parsed under the nesting limit (an over-deep frame is answered with an error frame).
        AgentChannel channel = new AgentChannel(robotAuth, robots, presence, ids, clock, config.ticker(), JsonInput.limited(json), config.heartbeatIntervalSeconds(),
                config.agentConnectsPerSecond(), metrics,
                dispatcher, events, jobOutput);
        localEvents.attach(channel);
        node.onRejoin(channel::reconnectAll);
        NodeDrain drain = new NodeDrain(channel, dispatcher, node::id, config.shutdownGrace());
        QueueGauges.register(metrics, () -> jobService.figures(null));
        RobotService robotService = new RobotService(db, robots, audit, signals == null ? channel : signals.connections(channel), clock, events);
        if (signals != null) {
            signals.listen(new ClusterSignals.Local(node::id, localEvents, channel, dispatcher, apiKeys, robotService));
        }
        EnrollmentService enrollment = new EnrollmentService(db, robots, orgs, audit, secretBox, config.refusalsPerMinute(), ids, clock,
                events);

        OrgService orgService = new OrgService(db, orgs, audit);
        InitialAdminPassword initialPassword = new InitialAdminPassword(config.dataDir());

        PublicUrl publicUrl = new PublicUrl(config.publicUrl());
        Downloads downloads = new Downloads(config.downloadsDir() != null ? config.downloadsDir() : Downloads.defaultDirectory());
        LiveFeed live = new LiveFeed(db, node::liveSince, clock, Duration.ofSeconds(config.heartbeatIntervalSeconds())).start();
        metrics.gauge("beacon.dashboard.streams", live, LiveFeed::watching);
        Pruner pruner = new Pruner(db, config.retention(), clock, metrics); // started with the scheduler, below
        DashboardRoutes dashboard = new DashboardRoutes(
                new DashboardRoutes.Services(users, apiKeys, enrollment, orgService, robots, robotService, presence, jobService, audit),
                dashboardAuth, sessions, new SignIn(users, sessions, audit, initialPassword::signedIn), live, new DashboardReads(db), json, clock,
                publicUrl, node, db.dialect() == Dialect.POSTGRESQL, config.retention(), pruner, config.effectiveDatabaseUrl(),
                Duration.ofSeconds(config.heartbeatIntervalSeconds()));

        // Read the TLS files now, so that a bad certificate or key stops the start before anything listens.
        char[] keyStorePassword = Long.toHexString(new java.security.SecureRandom().nextLong()).toCharArray();
        KeyStore keyStore = config.tlsCert() == null ? null : PemKeyStore.load(config.tlsCert(), config.tlsKey(), keyStorePassword);
        Javalin app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.concurrency.useVirtualThreads = true;
            javalin.jetty.threadPool = jettyThreads();
            javalin.http.maxRequestSize = BodyLimit.MAX_BODY_BYTES;
            javalin.http.prefer405over404 = true;
            // API answers are small JSON; compressing them costs more CPU than it saves on a LAN.
            javalin.http.compressionStrategy = CompressionStrategy.NONE;
            javalin.jsonMapper(new JavalinJackson(json, false));
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.jetty.modifyServer(server -> {
                // Requests Jetty refuses itself (bad path bytes, header errors) answer problem JSON, not Jetty's HTML page.
                server.setErrorHandler(new ProblemErrorHandler(json));
                // Agents upgrade in front of the web application (Javalin attaches itself inside this handler). Room for a
                // job result carrying the agent's full 64 KiB of output, even when JSON escaping inflates it; the sweeper
                // ends silent agents after 3 missed heartbeats, so the idle timeout is only a backstop.
                server.setHandler(channel.endpoint(Duration.ofSeconds((long) config.heartbeatIntervalSeconds() * 4 + 10),
                        MAX_AGENT_FRAME_BYTES));
            });
            javalin.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new ProblemErrorHandler(json)));
            javalin.jetty.addConnector((server, http) -> connector(server, http, config, keyStore, keyStorePassword, headerTimeout));
            Problems.install(javalin, json, dashboard::renderError);

            javalin.routes.before("/api/*", BodyLimit::check);
            javalin.routes.get("/healthz", ctx -> ctx.json(java.util.Map.of("status", "ok")));
            javalin.routes.get("/readyz", ctx -> {
                if (drain.isDraining()) {
                    // A load balancer stops sending this node new connections; /healthz stays 200 (the process is fine).
                    throw new ApiError(503, "server_draining", "This node is shutting down: it takes no new agents or jobs and gives "
                            + "the jobs its agents run up to " + drain.grace().toSeconds() + " s to end. Use another node.");
                }
                boolean ready = db.isReachable();
                ctx.status(ready ? 200 : 503).json(java.util.Map.of("status", ready ? "ready" : "database unreachable"));
            });
            javalin.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
            new ApiKeyRoutes(apiKeys, auth, json).register(javalin.routes);
            new OrgRoutes(orgService, auth, json).register(javalin.routes);
            new EnrollmentRoutes(enrollment, auth, json, clock, config::heartbeatIntervalSeconds, config.publicUrl(), metrics)
                    .register(javalin.routes);
            new RobotRoutes(robots, robotService, presence, robotAuth, auth,
                    (robotId, limit) -> jobService.history(robotId, limit).stream().map(job -> JobView.of(job, null)).toList())
                    .register(javalin.routes);
            new RobotLabelRoutes(robotService, auth, json).register(javalin.routes);
            new JobRoutes(jobService, auth, json).register(javalin.routes);
            new JobOutputRoutes(jobOutput, jobService, auth, json).register(javalin.routes);
            channel.register(javalin.routes);
            new AuditRoutes(audit, auth).register(javalin.routes);
            new InstanceAuditRoutes(audit, auth, users).register(javalin.routes);
            new NodeRoutes(db, node, auth, clock).register(javalin.routes);
            new OpenApiRoutes().register(javalin.routes);
            new DownloadRoutes(downloads, publicUrl).register(javalin.routes);
            new AssetRoutes(Assets.catalog()).register(javalin.routes);
            dashboard.register(javalin.routes);
        });
        app.start();
        // Only now that the port is bound: a start that fails before this (port taken) creates no admin whose
        // generated password nobody saw.
        Optional<Path> passwordFile;
        try {
            passwordFile = Bootstrap.run(db, orgs, users, audit, config.adminPassword()).map(initialPassword::write);
        } catch (RuntimeException e) {
            app.stop();
            throw e;
        }

        int port = actualPort(app);
        String scheme = config.tlsCert() != null ? "https" : "http";
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        String baseUrl = scheme + "://" + host + ":" + port;
        node.bound(scheme, port, config.publicUrl());

        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "beacon-scheduler");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(usage::flush, 5, 5, TimeUnit.SECONDS);
        long leaseMillis = config.node().leaseRenewal().toMillis();
        scheduler.scheduleWithFixedDelay(node::tick, leaseMillis, leaseMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(channel::sweep, 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(dispatcher::sweep, 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(jobOutput::sweep, 10, 10, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(db::checkpoint, 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(sessions::purgeExpired, 1, 60, TimeUnit.MINUTES);
        // The queue charts' samples of jobs waiting (JobService.history); each minute keeps its highest.
        scheduler.scheduleWithFixedDelay(jobService::sampleQueue, 1_000, JobService.QUEUE_SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        // last_seen_at must be fresh to within one interval: write it twice per interval, in one batch.
        long lastSeenPeriod = Math.max(500, config.heartbeatIntervalSeconds() * 500L);
        scheduler.scheduleWithFixedDelay(channel::flushLastSeen, lastSeenPeriod, lastSeenPeriod, TimeUnit.MILLISECONDS);
        pruner.start();
        SpaceReclaimer.schedule(db, scheduler);
        log.info("Beacon listening on {} as node {} ({} database, ready in {} ms)", baseUrl, node.name(), db.dialect().name().toLowerCase(),
                (System.nanoTime() - startedAt) / 1_000_000);
        return new BeaconServer(app, db, usage, channel, dispatcher, live, scheduler, port, baseUrl, passwordFile, lock, node, signals,
                drain, pruner, jobOutput);
    }

    /**
     * The one listening connector, plain or TLS, on Javalin's HTTP configuration (which sends no Server header);
     * request headers must arrive within {@code headerTimeout}. Over TLS, answers carry HSTS. With
     * {@code --proxy-protocol}, a PROXY header from a trusted proxy comes first, before TLS ({@link ProxyProtocol}); on a
     * plain listener, one that says the client spoke TLS to the proxy makes its requests https.
     */
    private static ServerConnector connector(Server server, HttpConfiguration http, ServerConfig config, KeyStore keyStore,
                                             char[] password, Duration headerTimeout) {
        ServerConnector connector;
        if (config.tlsCert() == null) {
            HttpConfiguration plain = new HttpConfiguration(http);
            if (config.proxyProtocol()) {
                // A PROXY v2 header with the SSL TLV (HAProxy's send-proxy-v2-ssl) says the client spoke TLS to the
                // proxy: its requests are then https. No HSTS here, where the same port also answers plain clients.
                plain.addCustomizer(new SecureRequestCustomizer(false));
            }
            addClientAddress(plain, config);
            connector = new ServerConnector(server, proxyProtocolFirst(config, new HttpConnectionFactory(plain)));
        } else {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(keyStore);
            ssl.setKeyStorePassword(new String(password));
            HttpConfiguration https = new HttpConfiguration(http);
            SecureRequestCustomizer secure = new SecureRequestCustomizer(false);
            // One year: browsers that reached Beacon over TLS once keep to TLS. No includeSubDomains: Beacon
            // speaks for its own host only.
            secure.setStsMaxAge(Duration.ofDays(365).toSeconds());
            https.addCustomizer(secure);
            addClientAddress(https, config); // after the TLS customizer, so that a trusted proxy's scheme wins
            connector = new ServerConnector(server, proxyProtocolFirst(config, new SslConnectionFactory(ssl, "http/1.1"),
                    new HttpConnectionFactory(https)));
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.addBean(new HeaderDeadline(headerTimeout));
        return connector;
    }

    /** The connector's factories: {@code factories}, with {@link ProxyProtocol} in front when {@code --proxy-protocol} is on. */
    private static ConnectionFactory[] proxyProtocolFirst(ServerConfig config, ConnectionFactory... factories) {
        if (!config.proxyProtocol()) {
            return factories;
        }
        ConnectionFactory[] withProxy = new ConnectionFactory[factories.length + 1];
        withProxy[0] = new ProxyProtocol(factories[0].getProtocol(), config.trustedProxies());
        System.arraycopy(factories, 0, withProxy, 1, factories.length);
        return withProxy;
    }

    /** Behind {@code --trusted-proxies}, requests carry the client the proxy names (see {@link ClientAddress}). */
    private static void addClientAddress(HttpConfiguration http, ServerConfig config) {
        if (!config.trustedProxies().isEmpty()) {
            http.addCustomizer(new ClientAddress(config.trustedProxies()));
        }
    }

    private static int actualPort(Javalin app) {
        for (var connector : app.jettyServer().server().getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                return serverConnector.getLocalPort();
            }
        }
        return app.port();
    }

    public int port() {
        return port;
    }

    /** {@code http://host:port} (or https) as this server listens. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The file that holds the admin password generated at this first start; empty on later starts or when one was given. */
    public Optional<Path> initialAdminPasswordFile() {
        return initialAdminPasswordFile;
    }

    /** The retention pruner, e.g. for a test to run it now. */
    public Pruner pruner() {
        return pruner;
    }

    /** This server as a node of the cluster. */
    public ClusterNode node() {
        return node;
    }

    /**
     * Every route this server registered, as {@code METHOD /path} ({@code GET /api/jobs/{id}}; a WebSocket endpoint as
     * {@code WS /path}), without before and after handlers; for the tests that hold the OpenAPI document to the routes.
     */
    public List<String> routes() {
        var router = app.unsafe.internalRouter;
        var http = router.allHttpHandlers().stream().map(parsed -> parsed.endpoint)
                .filter(endpoint -> endpoint.method.isHttpMethod())
                .map(endpoint -> endpoint.method.name() + " " + endpoint.path);
        var sockets = router.allWsHandlers().stream()
                .filter(entry -> entry.getType() == io.javalin.websocket.WsHandlerType.WEBSOCKET)
                .map(entry -> "WS " + entry.getPath());
        return java.util.stream.Stream.concat(http, sockets).toList();
    }

    /**
     * Drains the node ({@link NodeDrain}: {@code /readyz} 503, no new agents or jobs, up to the grace period for the
     * jobs its agents run), then says {@code bye: shutdown} to its agents, stops serving, writes buffered usage, marks
     * the node stopped and closes the database. During the drain the node still renews its lease, sweeps, and acts on
     * other nodes' signals (a cancel still reaches a running job). Only the first call does anything.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        drain.run();
        scheduler.shutdownNow();
        pruner.close();
        if (signals != null) {
            signals.close(); // before the sockets close: this node no longer acts on other nodes' signals
        }
        channel.flushLastSeen();
        channel.shutdown(); // settles every job the agents still held: queued again with the attempt given back
        jobOutput.close(); // writes what waits, and ends the followers of job output before the web server stops
        node.stop();
        dispatcher.close();
        live.close();
        app.stop();
        usage.flush();
        db.close();
        if (lock != null) {
            lock.close();
        }
        log.info("Beacon stopped");
    }
}
