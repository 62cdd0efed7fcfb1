package dev.beacon.cluster;

import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server as a node of the cluster: registered at start ({@link #register}, before anything else touches
 * robots), its lease renewed and dead nodes taken over on the server's scheduler thread ({@link #renew},
 * {@link #takeOverDeadNodes}), stopped at a clean shutdown ({@link #stop}). Thread-safe.
 *
 * <p>Between the registration and the scheduler's first {@link #tick}, the rest of the server starts (migrations
 * checked, the listener bound), which on a loaded machine can take longer than a lease: a thread of its own renews
 * the lease meanwhile, so that other nodes never take over a node that is only starting.
 */
public final class ClusterNode {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    private final NodeStore store;
    private final NodeSettings settings;
    private final Clock clock;
    private final String id;
    private volatile String name;
    private volatile String url;
    private final AtomicBoolean lostLease = new AtomicBoolean();
    private volatile NodeLoss loss;
    private final ScheduledExecutorService startingLease;

    private ClusterNode(NodeStore store, NodeSettings settings, Clock clock, String id, String name, String url) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.id = id;
        this.name = name;
        this.url = url;
        this.startingLease = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "beacon-node-lease-start");
            thread.setDaemon(true);
            return thread;
        });
        long renewal = settings.leaseRenewal().toMillis();
        startingLease.scheduleWithFixedDelay(this::renew, renewal, renewal, TimeUnit.MILLISECONDS);
    }

    /** Ends the renewals of the starting phase: the scheduler's ticks take over, or the node stops. */
    private void started() {
        if (!startingLease.isShutdown()) {
            startingLease.shutdownNow();
            try {
                startingLease.awaitTermination(10, TimeUnit.SECONDS); // no renewal after a stop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What one takeover pass did: the nodes it claimed, the robots it marked offline, the jobs it settled. */
    public record Takeover(List<String> nodes, int robots, int jobs) {
    }

    /**
     * Registers this server as a node, with the configured port until {@link #bound} knows the real one. Throws
     * {@link NodeNameTaken} when a live node holds the name. On SQLite ({@code exclusive}) the data-dir lock already
     * proves that no other server runs: every other node counts as gone.
     */
    public static ClusterNode register(Database db, Clock clock, NodeSettings settings, int port, String publicUrl, boolean exclusive) {
        String id = new Ids(clock).next("node");
        String name = settings.name() != null ? settings.name() : hostname() + ":" + port;
        String url = defaultUrl(settings, publicUrl, "http", port);
        NodeStore store = new NodeStore(db);
        Instant now = clock.instant();
        store.register(id, name, url, now, now.minus(settings.leaseExpiry()), exclusive);
        return new ClusterNode(store, settings, clock, id, name, url);
    }

    /**
     * Called once the listener is bound: a name or URL left to their defaults takes the real port (which differs
     * when the configured one was 0).
     */
    public void bound(String scheme, int port, String publicUrl) {
        String boundName = settings.name() != null ? settings.name() : hostname() + ":" + port;
        String boundUrl = defaultUrl(settings, publicUrl, scheme, port);
        if (boundName.equals(name) && boundUrl.equals(url)) {
            return;
        }
        if (store.rename(id, boundName, boundUrl)) {
            name = boundName;
            url = boundUrl;
        } else {
            log.warn("node name {} is held by a live node; this node keeps the name {}", boundName, name);
        }
    }

    /** Called once the presence store and dispatcher exist: a takeover works through them. */
    public void attach(NodeLoss nodeLoss) {
        this.loss = nodeLoss;
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The oldest lease a live node may have, now. */
    public Instant liveSince() {
        return clock.instant().minus(settings.leaseExpiry());
    }

    public NodeSettings settings() {
        return settings;
    }

    /**
     * Renews this node's lease. When a survivor has already taken this node over (its lease ran out, e.g. a long
     * pause or a partition), says so once in the log: its robots were marked offline elsewhere.
     */
    public void renew() {
        try {
            if (!store.renew(id, clock.instant()) && lostLease.compareAndSet(false, true)) {
                log.error("node {} lost its lease: another node took over its robots; restart this server so that its agents "
                        + "reconnect cleanly", name);
            }
        } catch (RuntimeException e) {
            log.warn("could not renew the lease of node {}; will retry", name, e);
        }
    }

    /**
     * Claims every node whose lease expired and takes over what it held: the jobs its sessions held are settled
     * (queued again or ended, attempts counted), then its robots are marked offline and their connection rows
     * closed with reason {@code node_lost}. Several survivors may run this at once; each dead node goes to one.
     */
    public Takeover takeOverDeadNodes() {
        List<String> names = new ArrayList<>();
        int robots = 0;
        int jobs = 0;
        Instant now = clock.instant();
        for (NodeStore.Claimed dead : store.claimDead(id, now, now.minus(settings.leaseExpiry()))) {
            int settled = loss.settleJobs(dead.id(), dead.name());
            int offline = loss.markRobotsOffline(dead.id(), clock.instant());
            log.warn("node {} stopped renewing its lease; node {} took over: {} robots offline, {} jobs settled",
                    dead.name(), name, offline, settled);
            names.add(dead.name());
            robots += offline;
            jobs += settled;
        }
        return new Takeover(names, robots, jobs);
    }

    /** One scheduler tick: renew, then take over dead nodes. Never throws. */
    public void tick() {
        started();
        renew();
        try {
            takeOverDeadNodes();
        } catch (RuntimeException e) {
            log.warn("taking over dead nodes failed; will retry", e);
        }
    }

    /** A clean shutdown, after the agent sessions were ended: the node is stopped, its name free. */
    public void stop() {
        started();
        store.stop(id, clock.instant());
    }

    private static String defaultUrl(NodeSettings settings, String publicUrl, String scheme, int port) {
        if (settings.advertiseUrl() != null) {
            return settings.advertiseUrl();
        }
        if (publicUrl != null && !publicUrl.isBlank()) {
            return publicUrl;
        }
        return scheme + "://" + hostname() + ":" + port;
    }

    /** The machine's hostname: never a wildcard address such as {@code 0.0.0.0}. */
    static String hostname() {
        String fromEnv = System.getenv("HOSTNAME");
        try {
            String host = InetAddress.getLocalHost().getHostName();
            if (host != null && !host.isBlank()) {
                return host;
            }
        } catch (UnknownHostException e) {
            log.debug("no local hostname; using $HOSTNAME", e);
        }
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : "localhost";
    }
}
