package dev.beacon.dashboard;

import dev.beacon.store.Database;
import io.javalin.http.sse.SseClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live updates for open dashboards, over server-sent events. Once a second, for each organization someone is
 * watching, it reads a small fingerprint of each topic ({@code machines}, {@code jobs}, {@code tokens},
 * {@code apikeys}, {@code audit}) from the database and sends an event for each topic that changed; the page then
 * fetches the fragments that show that topic. The topic {@code nodes} (the server nodes, the same for every
 * organization) is read once per round. Reading the database rather than listening in-process means a change made
 * through any server node reaches every dashboard. Costs nothing while nobody watches. Thread-safe.
 */
public final class LiveFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveFeed.class);
    static final List<String> TOPICS = List.of("machines", "jobs", "tokens", "apikeys", "audit", "nodes");
    /**
     * A live node's last heartbeat counts in the {@code nodes} fingerprint to this precision, so that the Nodes page
     * refreshes its "last heartbeat" about this often while a node is alive, not at every lease renewal.
     */
    static final long HEARTBEAT_SHOWN_EVERY_MILLIS = 10_000;
    /** A comment line this often keeps proxies from closing an idle stream and finds dead clients. */
    private static final long PING_EVERY_MILLIS = 15_000;

    private final Database db;
    private final Supplier<Instant> liveSince;
    private final Map<String, Set<SseClient>> watchers = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> lastSeen = new ConcurrentHashMap<>();
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
    /** Its own thread, so reading fingerprints never delays the server's sweeps. */
    private final java.util.concurrent.ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "beacon-live-feed");
        thread.setDaemon(true);
        return thread;
    });
    private long lastPing = System.currentTimeMillis();
    /** The server's clock and the agents' heartbeat interval; null when the feed does not follow heartbeats. */
    private final java.time.Clock clock;
    private final java.time.Duration heartbeatInterval;

    /** {@code liveSince} gives the oldest lease a live node may have, now (the node's lease expiry). */
    public LiveFeed(Database db, Supplier<Instant> liveSince) {
        this(db, liveSince, null, null);
    }

    /**
     * As {@link #LiveFeed(Database, Supplier)}, and the {@code machines} topic also changes when a connected machine
     * turns unresponsive (no heartbeat for two of {@code heartbeatInterval} by {@code clock}) or answers again, and
     * once per heartbeat interval or 30 s, whichever is longer, while machines heartbeat, so that "last seen" on open pages stays true.
     * Heartbeats themselves are not announced: that would refresh every page at every heartbeat of every machine.
     */
    public LiveFeed(Database db, Supplier<Instant> liveSince, java.time.Clock clock, java.time.Duration heartbeatInterval) {
        this.db = db;
        this.liveSince = liveSince;
        this.clock = clock;
        this.heartbeatInterval = heartbeatInterval;
    }

    /** Starts polling once a second. */
    public LiveFeed start() {
        poller.scheduleWithFixedDelay(() -> {
            try {
                poll();
            } catch (RuntimeException e) {
                log.warn("live dashboard updates failed: {}", e.toString()); // and try again next second
            }
        }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        return this;
    }

    /** Adds a connected browser; it is dropped when its stream closes. Blocks the request's (virtual) thread until then. */
    public void watch(String orgId, SseClient client) {
        // The first watcher of an organization sets the baseline now, so a change right after the page loaded is
        // not folded into it by the next poll.
        try {
            lastSeen.computeIfAbsent(orgId, id -> fingerprints(id, nodesFingerprint()));
        } catch (RuntimeException e) {
            log.warn("live dashboard baseline for organization {} failed: {}", orgId, e.toString());
        }
        Set<SseClient> clients = watchers.computeIfAbsent(orgId, id -> ConcurrentHashMap.newKeySet());
        clients.add(client);
        client.onClose(() -> {
            clients.remove(client);
            if (clients.isEmpty()) {
                watchers.remove(orgId, clients);
            }
        });
        client.sendEvent("ready", "{}");
        client.keepAlive();
    }

    /** Number of open dashboard streams, for tests and metrics. */
    public int watching() {
        return watchers.values().stream().mapToInt(Set::size).sum();
    }

    /** Reads the fingerprints of every watched organization and notifies its browsers of what changed. */
    public void poll() {
        lastSeen.keySet().removeIf(orgId -> !watchers.containsKey(orgId));
        Long nodes = null;
        if (!watchers.isEmpty()) {
            try {
                nodes = nodesFingerprint();
            } catch (RuntimeException e) {
                log.warn("live dashboard update of the nodes failed: {}", e.toString()); // compared as unchanged below
            }
        }
        for (var entry : watchers.entrySet()) {
            String orgId = entry.getKey();
            Map<String, Object> now;
            try {
                now = fingerprints(orgId, nodes);
            } catch (RuntimeException e) {
                log.warn("live dashboard update for organization {} failed: {}", orgId, e.toString());
                continue;
            }
            Map<String, Object> before = lastSeen.get(orgId);
            if (nodes == null && before != null) {
                now.put("nodes", before.get("nodes")); // unknown this round: keep what was shown
            }
            lastSeen.put(orgId, now);
            if (before == null) {
                continue; // no baseline yet: nothing to compare with
            }
            for (String topic : TOPICS) {
                if (!Objects.equals(before.get(topic), now.get(topic))) {
                    send(entry.getValue(), topic);
                }
            }
        }
        long millis = System.currentTimeMillis();
        if (millis - lastPing >= PING_EVERY_MILLIS) {
            lastPing = millis;
            watchers.values().forEach(clients -> clients.forEach(client -> senders.execute(() -> {
                try {
                    client.sendComment("ping");
                } catch (RuntimeException e) {
                    client.close();
                }
            })));
        }
    }

    private void send(Set<SseClient> clients, String topic) {
        String data = "{\"topic\":\"" + topic + "\"}";
        for (SseClient client : clients) {
            senders.execute(() -> {
                try {
                    if (!client.terminated()) {
                        client.sendEvent(topic, data);
                    }
                } catch (RuntimeException e) {
                    client.close();
                }
            });
        }
    }

    /**
     * The server nodes as the Nodes page shows them: which are listed, their names and URLs, which are alive and how
     * many agents each holds, and the newest heartbeat to {@link #HEARTBEAT_SHOWN_EVERY_MILLIS}. The same for every
     * organization.
     */
    private Long nodesFingerprint() {
        Instant live = liveSince.get();
        return db.read(tx -> {
            try (PreparedStatement statement = tx.connection().prepareStatement("""
                    SELECT n.id, n.name, n.url, CASE WHEN n.reaped_at IS NULL AND n.last_heartbeat_at >= ? THEN 1 ELSE 0 END,
                           (SELECT COUNT(*) FROM robots r WHERE r.node_id = n.id AND r.session_id IS NOT NULL), n.last_heartbeat_at
                    FROM nodes n WHERE n.stopped_at IS NULL AND n.last_heartbeat_at >= ?""")) {
                statement.setLong(1, live.toEpochMilli());
                statement.setLong(2, live.minus(NodeFacts.DEAD_SHOWN_FOR).toEpochMilli());
                long hash = 17;
                long newestHeartbeat = 0;
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        long row = 1;
                        for (int c = 1; c <= 5; c++) {
                            row = row * 31 + Objects.hashCode(rs.getString(c));
                        }
                        hash += row * 0x9E3779B97F4A7C15L; // order-independent
                        newestHeartbeat = Math.max(newestHeartbeat, rs.getLong(6));
                    }
                }
                return hash * 31 + newestHeartbeat / HEARTBEAT_SHOWN_EVERY_MILLIS;
            }
        });
    }

    private Map<String, Object> fingerprints(String orgId, Long nodes) {
        return db.read(tx -> {
            Connection connection = tx.connection();
            Map<String, Object> prints = new LinkedHashMap<>();
            // node_id: a machine whose agent moved to another node without going offline shows its new node.
            prints.put("machines", hashRows(connection, """
                    SELECT id, name, status, paused_at, current_job_id, site_id, fleet_id, enrolled_at, node_id FROM robots
                    WHERE org_id = ? AND removed_at IS NULL""", orgId));
            if (clock != null) {
                long interval = Math.max(1, heartbeatInterval.toMillis());
                long tick = Math.max(HEARTBEAT_SHOWN_EVERY_MILLIS * 3, interval);
                long now = clock.millis();
                prints.put("machines", (Long) prints.get("machines") * 31 + hashRows(connection, """
                        SELECT id FROM robots WHERE org_id = ? AND removed_at IS NULL AND status <> 'offline'
                          AND (last_seen_at IS NULL OR last_seen_at < ?)""", orgId, now - 2 * interval) * 31
                        + hashRows(connection, "SELECT MAX(last_seen_at) / ? FROM robots WHERE org_id = ? AND removed_at IS NULL AND status <> 'offline'",
                        tick, orgId));
            }
            // Newest job, and how many wait or run: changes with every submit, dispatch, start and end.
            prints.put("jobs", hashRows(connection, "SELECT MAX(id) FROM jobs WHERE org_id = ?", orgId) * 31
                    + hashRows(connection, """
                            SELECT status, COUNT(*) FROM jobs WHERE org_id = ? AND status IN ('queued', 'assigned', 'running')
                            GROUP BY status""", orgId));
            prints.put("tokens", hashRows(connection,
                    "SELECT COUNT(*), SUM(uses), COUNT(revoked_at), MAX(created_at) FROM enrollment_keys WHERE org_id = ?", orgId));
            prints.put("apikeys", hashRows(connection,
                    "SELECT COUNT(*), COUNT(revoked_at), MAX(last_used_at) FROM api_keys WHERE org_id = ?", orgId));
            prints.put("audit", hashRows(connection, "SELECT MAX(id) FROM audit_events WHERE org_id = ?", orgId));
            prints.put("nodes", nodes);
            return prints;
        });
    }

    private static Long hashRows(java.sql.Connection connection, String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            long hash = 17;
            long rows = 0;
            try (ResultSet rs = statement.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    long row = 1;
                    for (int c = 1; c <= columns; c++) {
                        row = row * 31 + Objects.hashCode(rs.getString(c));
                    }
                    hash += row * 0x9E3779B97F4A7C15L; // order-independent: rows may come back in any order
                    rows++;
                }
            }
            return hash ^ rows;
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
        watchers.values().forEach(clients -> clients.forEach(SseClient::close));
        watchers.clear();
        senders.shutdownNow();
    }
}
