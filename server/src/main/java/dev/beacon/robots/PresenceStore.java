package dev.beacon.robots;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.store.Sql;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * SQL for presence: which session speaks for a robot, its connection history, and coalesced
 * {@code last_seen_at}. The robot's state changes themselves are {@link RobotStates}'s. Every status change is guarded by the session id, so a stale session can never
 * overwrite the state a newer one set. Thread-safe.
 */
public final class PresenceStore {
    private final Database db;
    private final Ids ids;
    private final ObjectMapper json;
    private final Supplier<String> nodeId;

    /**
     * {@code nodeId}: this server's node id, which holds the sessions it marks connected; asked at each connect, since a
     * node that lost its lease rejoins under a new id.
     */
    public PresenceStore(Database db, Ids ids, ObjectMapper json, Supplier<String> nodeId) {
        this.db = db;
        this.ids = ids;
        this.json = json;
        this.nodeId = nodeId;
    }

    /** What an agent's {@code hello} says about the machine. */
    public record Hello(String hostname, String os, String arch, String agentVersion, List<String> capabilities,
                        Map<String, String> labels) {
    }

    /**
     * Marks the robot online under {@code sessionId} and opens a connection-history row, in one transaction that
     * first runs {@code guard} (which takes the robot's lock and checks the connection's token again, see
     * {@link RobotStore#checkToken}). When the guard answers anything but {@code LIVE}, nothing is written and
     * that answer is returned: a robot removed or revoked since the upgrade never comes online.
     */
    public RobotStore.TokenCheck connected(String robotId, String sessionId, String ip, Hello hello, Instant now,
                                           java.util.function.Function<java.sql.Connection, RobotStore.TokenCheck> guard) {
        return db.write(tx -> {
            RobotStore.TokenCheck check = guard.apply(tx.connection());
            if (check != RobotStore.TokenCheck.LIVE) {
                return check;
            }
            String node = nodeId.get();
            RobotStates.connect(tx.connection(), robotId, sessionId, node, ip, hello, write(hello.capabilities()),
                    write(hello.labels()), now);
            tx.createUpdate("""
                            INSERT INTO robot_connections (id, robot_id, session_id, node_id, ip, agent_version, connected_at)
                            VALUES (:id, :robot, :session, :node, :ip, :version, :now)""")
                    .bind("id", ids.next("con")).bind("robot", robotId).bind("session", sessionId).bind("node", node).bind("ip", ip)
                    .bind("version", hello.agentVersion()).bind("now", now.toEpochMilli())
                    .execute();
            return check;
        });
    }

    /**
     * Marks the robot offline if {@code sessionId} still speaks for it, and closes that session's history
     * row either way. Returns whether the robot's status changed.
     */
    public boolean disconnected(String robotId, String sessionId, String reason, Instant now) {
        return db.write(tx -> {
            tx.createUpdate("""
                            UPDATE robot_connections SET disconnected_at = :now, reason = :reason
                            WHERE robot_id = :robot AND session_id = :session AND disconnected_at IS NULL""")
                    .bind("now", now.toEpochMilli()).bind("reason", reason).bind("robot", robotId).bind("session", sessionId)
                    .execute();
            return RobotStates.disconnect(tx.connection(), robotId, sessionId, now);
        });
    }

    /**
     * {@link #disconnected} for many sessions that ended for the same reason, in one transaction of two JDBC batches
     * (a shutdown's 19,000 departures written one robot at a time took 21 s). Each robot is marked offline only while
     * its ended session still speaks for it, as one by one. {@code sessionByRobot}: each robot's ended session.
     * Returns how many robots went offline.
     */
    public int disconnected(Map<String, String> sessionByRobot, String reason, Instant now) {
        if (sessionByRobot.isEmpty()) {
            return 0;
        }
        return db.write(tx -> {
            try (PreparedStatement history = tx.connection().prepareStatement("""
                         UPDATE robot_connections SET disconnected_at = ?, reason = ?
                         WHERE robot_id = ? AND session_id = ? AND disconnected_at IS NULL""");
                 PreparedStatement offline = tx.connection().prepareStatement(RobotStates.DISCONNECT)) {
                for (Map.Entry<String, String> ended : sessionByRobot.entrySet()) {
                    history.setLong(1, now.toEpochMilli());
                    history.setString(2, reason);
                    history.setString(3, ended.getKey());
                    history.setString(4, ended.getValue());
                    history.addBatch();
                    offline.setLong(1, now.toEpochMilli());
                    offline.setString(2, ended.getKey());
                    offline.setString(3, ended.getValue());
                    offline.addBatch();
                }
                history.executeBatch();
                return (int) Arrays.stream(offline.executeBatch()).filter(count -> count > 0).count();
            }
        });
    }

    /** The session the robot's row names as its live one, or null when it is offline (or unknown). */
    public String liveSession(String robotId) {
        return db.read(tx -> tx.createQuery("SELECT session_id FROM robots WHERE id = :id").bind("id", robotId)
                .mapTo(String.class).findOne().orElse(null));
    }

    /** Writes the newest heartbeat time of many robots in one transaction (the coalesced presence write). */
    public void touch(Map<String, Long> lastSeenByRobot) {
        if (lastSeenByRobot.isEmpty()) {
            return;
        }
        // Plain JDBC: a flush of 19,000 robots spent more in Jdbi's per-row binding than in the statements.
        db.write(tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE robots SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)")) {
                for (Map.Entry<String, Long> robot : lastSeenByRobot.entrySet()) {
                    update.setLong(1, robot.getValue());
                    update.setString(2, robot.getKey());
                    update.setLong(3, robot.getValue());
                    update.addBatch();
                }
                update.executeBatch();
            }
            return null;
        });
    }

    /**
     * At server start: robots left online by a node that is no longer live (crashed, stopped, unknown, or this
     * node's own previous run) are marked offline and their open history rows closed. Robots held by live nodes,
     * and their rows, are left as they are. {@code liveSince}: the oldest heartbeat a live node may have.
     */
    public int resetAbandoned(Instant now, Instant liveSince) {
        return db.write(tx -> {
            Sql.update(tx.connection(), "UPDATE robot_connections SET disconnected_at = ?, reason = 'server_restart' "
                    + "WHERE disconnected_at IS NULL AND (node_id IS NULL OR node_id NOT IN (" + RobotStates.LIVE_NODES + "))",
                    now.toEpochMilli(), liveSince.toEpochMilli());
            return RobotStates.disconnectAbandoned(tx.connection(), liveSince.toEpochMilli());
        });
    }

    /**
     * Takeover of dead node {@code deadNodeId}: its open history rows are closed with reason {@code node_lost} and
     * its robots marked offline, in one transaction. Returns how many robots went offline.
     */
    public int nodeLost(String deadNodeId, Instant now) {
        return db.write(tx -> {
            Sql.update(tx.connection(), "UPDATE robot_connections SET disconnected_at = ?, reason = 'node_lost' "
                    + "WHERE node_id = ? AND disconnected_at IS NULL", now.toEpochMilli(), deadNodeId);
            return RobotStates.disconnectNode(tx.connection(), deadNodeId, now);
        });
    }

    /** One connection of a robot, for its detail view. */
    public record Connection(String sessionId, String ip, String agentVersion, Instant connectedAt, Instant disconnectedAt,
                             String reason) {
    }

    /** The robot's most recent connections, newest first. */
    public List<Connection> history(String robotId, int limit) {
        return db.read(tx -> tx.createQuery("""
                        SELECT session_id, ip, agent_version, connected_at, disconnected_at, reason FROM robot_connections
                        WHERE robot_id = :robot ORDER BY id DESC LIMIT :limit""")
                .bind("robot", robotId).bind("limit", limit)
                .map((rs, ctx) -> new Connection(rs.getString("session_id"), rs.getString("ip"), rs.getString("agent_version"),
                        dev.beacon.store.Rows.instant(rs, "connected_at"), dev.beacon.store.Rows.instant(rs, "disconnected_at"),
                        rs.getString("reason")))
                .list());
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("lists and maps of strings always serialize", e);
        }
    }
}
