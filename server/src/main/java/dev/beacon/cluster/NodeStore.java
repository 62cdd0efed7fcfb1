package dev.beacon.cluster;

import dev.beacon.store.Database;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import java.time.Instant;
import java.util.List;

/**
 * SQL for the {@code nodes} table: registration, the lease, the claim on a dead node, and the list the API shows.
 * Every race between nodes is settled by a guarded UPDATE or the unique index on current names. Thread-safe.
 */
final class NodeStore {
    private final Database db;

    NodeStore(Database db) {
        this.db = db;
    }

    /** A node as {@code GET /api/cluster/nodes} shows it. */
    record NodeRow(String id, String name, String url, Instant startedAt, Instant lastHeartbeatAt, Instant reapedAt,
                   int agentsConnected) {
    }

    /** A dead node a survivor has claimed. */
    record Claimed(String id, String name) {
    }

    /**
     * Registers node {@code id} named {@code name}. A current node of that name whose lease is older than
     * {@code liveSince} (this node's own crashed previous run) is marked reaped by the new one, whose start resets
     * what it held; one with a fresh lease makes this throw {@link NodeNameTaken}. With {@code exclusive} (SQLite,
     * whose data-dir lock proves every other server gone) every current node is marked reaped.
     */
    void register(String id, String name, String url, Instant now, Instant liveSince, boolean exclusive) {
        try {
            db.write(tx -> {
                var connection = tx.connection();
                if (exclusive) {
                    Sql.update(connection, "UPDATE nodes SET reaped_at = ?, reaped_by = ? WHERE stopped_at IS NULL AND reaped_at IS NULL",
                            now.toEpochMilli(), id);
                } else {
                    Long heartbeat = Sql.first(connection,
                            "SELECT last_heartbeat_at FROM nodes WHERE name = ? AND stopped_at IS NULL AND reaped_at IS NULL",
                            rs -> rs.getLong(1), name);
                    if (heartbeat != null && heartbeat >= liveSince.toEpochMilli()) {
                        throw new NodeNameTaken(name, now.toEpochMilli() - heartbeat);
                    }
                    Sql.update(connection, "UPDATE nodes SET reaped_at = ?, reaped_by = ? WHERE name = ? AND stopped_at IS NULL AND reaped_at IS NULL",
                            now.toEpochMilli(), id, name);
                }
                Sql.update(connection, "INSERT INTO nodes (id, name, url, started_at, last_heartbeat_at) VALUES (?, ?, ?, ?, ?)",
                        id, name, url, now.toEpochMilli(), now.toEpochMilli());
                return null;
            });
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                // Another node registered the same name between our check and our insert.
                throw new NodeNameTaken(name, 0);
            }
            throw e;
        }
    }

    /**
     * Node {@code lostId} was taken over while it still ran: it registers again as {@code freshId} under its name and
     * URL, and its old row is marked stopped so that it leaves the list of nodes. Throws {@link NodeNameTaken} when a
     * live node took the name meanwhile.
     */
    void rejoin(String lostId, String freshId, String name, String url, Instant now, Instant liveSince) {
        register(freshId, name, url, now, liveSince, false);
        db.write(tx -> Sql.update(tx.connection(), "UPDATE nodes SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
                now.toEpochMilli(), lostId));
    }

    /** Sets the name and URL once the port is bound; false when a current node holds that name. */
    boolean rename(String id, String name, String url) {
        try {
            return db.write(tx -> Sql.update(tx.connection(), "UPDATE nodes SET name = ?, url = ? WHERE id = ?", name, url, id) == 1);
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Renews node {@code id}'s lease. False when the node no longer may: a survivor took it over (its lease had
     * expired) or it stopped.
     */
    boolean renew(String id, Instant now) {
        return db.write(tx -> Sql.update(tx.connection(),
                "UPDATE nodes SET last_heartbeat_at = ? WHERE id = ? AND stopped_at IS NULL AND reaped_at IS NULL",
                now.toEpochMilli(), id) == 1);
    }

    /** A clean shutdown: the node is stopped and its lease over. */
    void stop(String id, Instant now) {
        db.write(tx -> Sql.update(tx.connection(), "UPDATE nodes SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
                now.toEpochMilli(), id));
    }

    /**
     * Claims every node whose lease is older than {@code liveSince} for node {@code survivorId}. Each claim is one
     * UPDATE guarded by {@code reaped_at IS NULL}: when several survivors try at once, the row lock makes the others
     * see the first one's mark and change nothing, so each dead node is taken over exactly once.
     */
    List<Claimed> claimDead(String survivorId, Instant now, Instant liveSince) {
        List<Claimed> candidates = db.read(tx -> tx.createQuery("""
                        SELECT id, name FROM nodes
                        WHERE stopped_at IS NULL AND reaped_at IS NULL AND last_heartbeat_at < :live AND id <> :self""")
                .bind("live", liveSince.toEpochMilli()).bind("self", survivorId)
                .map((rs, ctx) -> new Claimed(rs.getString("id"), rs.getString("name"))).list());
        return candidates.stream().filter(node -> db.write(tx -> Sql.update(tx.connection(), """
                        UPDATE nodes SET reaped_at = ?, reaped_by = ?
                        WHERE id = ? AND stopped_at IS NULL AND reaped_at IS NULL AND last_heartbeat_at < ?""",
                now.toEpochMilli(), survivorId, node.id(), liveSince.toEpochMilli()) == 1)).toList();
    }

    /** Nodes that have not stopped cleanly and renewed their lease since {@code since}, by name. */
    List<NodeRow> current(Instant since) {
        return db.read(tx -> tx.createQuery("""
                        SELECT n.id, n.name, n.url, n.started_at, n.last_heartbeat_at, n.reaped_at,
                               (SELECT COUNT(*) FROM robots r WHERE r.node_id = n.id AND r.session_id IS NOT NULL) AS agents
                        FROM nodes n WHERE n.stopped_at IS NULL AND n.last_heartbeat_at >= :since ORDER BY n.name, n.id""")
                .bind("since", since.toEpochMilli())
                .map((rs, ctx) -> new NodeRow(rs.getString("id"), rs.getString("name"), rs.getString("url"),
                        Rows.instant(rs, "started_at"), Rows.instant(rs, "last_heartbeat_at"), Rows.instant(rs, "reaped_at"),
                        rs.getInt("agents")))
                .list());
    }
}
