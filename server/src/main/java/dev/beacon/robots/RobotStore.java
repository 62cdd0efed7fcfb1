package dev.beacon.robots;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import java.sql.Connection;
import dev.beacon.tokens.Secret;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.time.Duration;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.beacon.store.Tx;

/** SQL for robots and their tokens. Thread-safe. */
public final class RobotStore {
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final Database db;
    private final ObjectMapper json;

    public RobotStore(Database db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    /**
     * Inserts a new robot for an enrollment, within the claim's transaction, unless a robot not removed holds its name
     * in the organization: then nothing is written and this returns false. The name check is the unique index
     * {@code robots_live_name} itself (the conflict target), not a query, so no planner, statistics or cached generic
     * plan can make it walk the organization's robots. On PostgreSQL a claim racing for the same name waits here for
     * the other's commit and then finds the name taken.
     */
    public boolean insertIfNameFree(Connection connection, String id, String orgId, String siteId, String fleetId,
                                    String enrollmentKeyId, Registration registration, Instant now) {
        return Sql.update(connection, INSERT_IF_NAME_FREE,
                insertParams(id, orgId, siteId, fleetId, enrollmentKeyId, registration, now).toArray()) == 1;
    }

    /**
     * {@link #insertIfNameFree}'s statement, for a claim that makes it part of one larger statement (PostgreSQL's
     * data-modifying CTEs); its parameters are {@link #insertParams}'s, in order.
     */
    public static final String INSERT_IF_NAME_FREE = """
            INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrollment_key_id, enrolled_at, status,
                                ip, hostname, os, arch, agent_version, capabilities, labels)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'offline', ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (org_id, name) WHERE removed_at IS NULL DO NOTHING""";

    /** The parameters of {@link #INSERT_IF_NAME_FREE}. */
    public List<Object> insertParams(String id, String orgId, String siteId, String fleetId, String enrollmentKeyId,
                                     Registration registration, Instant now) {
        return Arrays.asList(id, orgId, siteId, fleetId, registration.name(), enrollmentKeyId, now.toEpochMilli(),
                registration.ip(), registration.hostname(), registration.os(), registration.arch(), registration.agentVersion(),
                write(registration.capabilities()), write(registration.labels()));
    }

    /** Re-keys an existing robot for {@code replace: true}: same id and history, new facts and key. */
    public void reenroll(Connection connection, String robotId, String enrollmentKeyId, Registration registration, Instant now) {
        Sql.update(connection, """
                        UPDATE robots SET enrollment_key_id = ?, enrolled_at = ?, ip = ?, hostname = ?, os = ?, arch = ?,
                               agent_version = ?, capabilities = ?, labels = ?
                        WHERE id = ?""",
                enrollmentKeyId, now.toEpochMilli(), registration.ip(), registration.hostname(), registration.os(),
                registration.arch(), registration.agentVersion(), write(registration.capabilities()), write(registration.labels()),
                robotId);
    }

    /**
     * The robot not removed that holds {@code name} in the organization, if any: asked only once
     * {@link #insertIfNameFree} found the name taken. Before the first ANALYZE of {@code robots} PostgreSQL may plan
     * this through {@code robots_org} (walking the organization's robots), which is why the claim no longer asks it
     * for every new name.
     */
    public Optional<NameHolder> liveByName(Connection connection, String orgId, String name) {
        return Optional.ofNullable(Sql.first(connection,
                "SELECT id, fleet_id, status FROM robots WHERE org_id = ? AND name = ? AND removed_at IS NULL",
                rs -> new NameHolder(rs.getString("id"), name, rs.getString("fleet_id"), RobotStatus.of(rs.getString("status"))), orgId, name));
    }

    /** The robot that holds a name: what a claim needs to decide whether {@code replace} may take it over. */
    public record NameHolder(String id, String name, String fleetId, RobotStatus status) {
        public boolean isConnected() {
            return status.isConnected();
        }
    }

    /** The name of the node holding the robot's session, as a column of a query on {@code robots}. */
    private static final String NODE_NAME = "(SELECT n.name FROM nodes n WHERE n.id = robots.node_id) AS node_name";

    public Optional<Robot> byId(String orgId, String id) {
        return db.read(tx -> tx.createQuery("SELECT robots.*, " + NODE_NAME + " FROM robots WHERE org_id = :org AND id = :id")
                .bind("org", orgId).bind("id", id).map((rs, ctx) -> robot(rs)).findOne());
    }

    /** Robots of an organization not removed, by id, with optional filters. */
    public List<Robot> list(String orgId, RobotStatus status, String siteId, String fleetId, String afterId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT robots.*, " + NODE_NAME + " FROM robots WHERE org_id = :org AND removed_at IS NULL AND id > :after");
        if (status != null) {
            sql.append(" AND status = :status");
        }
        if (siteId != null) {
            sql.append(" AND site_id = :site");
        }
        if (fleetId != null) {
            sql.append(" AND fleet_id = :fleet");
        }
        sql.append(" ORDER BY id LIMIT :limit");
        return db.read(tx -> tx.createQuery(sql.toString())
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("status", status == null ? null : status.wireName())
                .bind("site", siteId).bind("fleet", fleetId).bind("limit", limit)
                .map((rs, ctx) -> robot(rs)).list());
    }

    /** The robots of an organization with these ids (removed ones included), in no particular order; for the dashboard's pages. */
    public List<Robot> byIds(String orgId, java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return db.read(tx -> tx.createQuery("SELECT robots.*, " + NODE_NAME + " FROM robots WHERE org_id = :org AND id IN (<ids>)")
                .bind("org", orgId).bindList("ids", List.copyOf(ids)).map((rs, ctx) -> robot(rs)).list());
    }

    /** Every robot of an organization that is not removed (for dispatch and {@code waiting_reason}). */
    public List<Robot> allLive(String orgId) {
        return db.read(tx -> tx.createQuery("SELECT robots.*, " + NODE_NAME + " FROM robots WHERE org_id = :org AND removed_at IS NULL ORDER BY id")
                .bind("org", orgId).map((rs, ctx) -> robot(rs)).list());
    }

    /** Stores the hash of a freshly minted robot token. */
    public void insertToken(Connection connection, String tokenId, String robotId, Secret token, Instant now) {
        Sql.update(connection, "INSERT INTO robot_tokens (id, robot_id, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)",
                tokenId, robotId, token.hash(), token.masked(), now.toEpochMilli());
    }

    /** Revokes every live token of a robot, under its {@link #lock}; returns how many were live. */
    public int revokeTokens(Connection connection, String robotId, Instant now) {
        lock(connection, robotId);
        return Sql.update(connection, "UPDATE robot_tokens SET revoked_at = ? WHERE robot_id = ? AND revoked_at IS NULL",
                now.toEpochMilli(), robotId);
    }

    /**
     * Takes the robot's row lock for the rest of the transaction. Every transaction that mints, revokes or
     * checks (at {@code hello}) a robot's tokens takes it before it reads or writes them, so they run one after
     * another per robot. That matters on PostgreSQL under READ COMMITTED: each statement after the lock sees
     * everything committed before the lock was granted, so a revocation cannot miss a token that a rotation
     * inserted while the revocation was running, nor a rotation or a hello miss a revocation. On SQLite every
     * write transaction already runs alone (through the one writer), so nothing needs locking.
     */
    void lock(Connection connection, String robotId) {
        if (db.dialect() == Dialect.POSTGRESQL) {
            Sql.first(connection, "SELECT id FROM robots WHERE id = ? FOR UPDATE", rs -> rs.getString(1), robotId);
        }
    }

    /** What became of a request to rotate a robot's token. */
    public sealed interface Rotation {
        /** A new token was stored; it expires at {@code expiresAt} unless acknowledged first. */
        record Minted(Secret token, Instant expiresAt) implements Rotation {
        }

        /** Another rotation of this robot awaits its acknowledgement until {@code until}. */
        record Pending(Instant until) implements Rotation {
        }

        /** The robot was removed ({@code removed}) or the token that asked was revoked ({@code revoked}). */
        record Refused(String reason) implements Rotation {
        }
    }

    /**
     * Mints a rotated token for the robot: valid at once, expiring after {@code ttl} unless acknowledged.
     * {@code presentedHash} is the token of the connection that asked ({@code token.rotate}); null for an operator's
     * rotation, which needs the robot to hold some acknowledged, live token instead.
     */
    public Rotation rotate(String robotId, String presentedHash, String tokenId, Instant now, Duration ttl) {
        Secret token = TokenFormat.generate(TokenKind.ROBOT);
        Instant expiresAt = Instant.ofEpochMilli(now.plus(ttl).toEpochMilli());
        return db.write(tx -> {
            Connection connection = tx.connection();
            lock(connection, robotId);
            // Expired rotations are dead already; marking them revoked keeps "revoked_at IS NULL" meaning live for readers.
            Sql.update(connection, "UPDATE robot_tokens SET revoked_at = ? WHERE robot_id = ? AND revoked_at IS NULL AND expires_at <= ?",
                    now.toEpochMilli(), robotId, now.toEpochMilli());
            // The race this settles: revoke-token marks the token rows first and closes the sockets afterwards, and a
            // token.rotate handled in between used to insert a fresh token that nobody revoked. The INSERT itself
            // now requires, in the same statement, that the robot is not removed, that the token which asked is
            // still live (for an operator's rotation: that the robot holds a live, acknowledged token), and that no
            // other rotation is outstanding. It runs under the robot's lock, which revocation and removal take as
            // well, so it sees every revocation that committed before it, and a later revocation sees its row.
            String asker = presentedHash == null ? "" : " AND v.token_hash = ?";
            Object[] params = presentedHash == null
                    ? new Object[] {tokenId, token.hash(), token.masked(), now.toEpochMilli(), expiresAt.toEpochMilli(), robotId,
                            now.toEpochMilli()}
                    : new Object[] {tokenId, token.hash(), token.masked(), now.toEpochMilli(), expiresAt.toEpochMilli(), robotId,
                            presentedHash, now.toEpochMilli()};
            int inserted = Sql.update(connection, """
                    INSERT INTO robot_tokens (id, robot_id, token_hash, prefix, created_at, expires_at)
                    SELECT ?, r.id, ?, ?, ?, ? FROM robots r
                    WHERE r.id = ? AND r.removed_at IS NULL
                      AND EXISTS (SELECT 1 FROM robot_tokens v
                                  WHERE v.robot_id = r.id AND v.revoked_at IS NULL AND v.expires_at IS NULL""" + asker + """
                    )
                      AND NOT EXISTS (SELECT 1 FROM robot_tokens p
                                      WHERE p.robot_id = r.id AND p.revoked_at IS NULL AND p.expires_at > ?)""", params);
            if (inserted == 1) {
                return new Rotation.Minted(token, expiresAt);
            }
            Boolean removed = Sql.first(connection, "SELECT removed_at IS NOT NULL FROM robots WHERE id = ?", rs -> rs.getBoolean(1), robotId);
            if (removed == null || removed) {
                return new Rotation.Refused("removed");
            }
            Long pendingUntil = Sql.first(connection, """
                            SELECT MAX(expires_at) FROM robot_tokens WHERE robot_id = ? AND revoked_at IS NULL AND expires_at > ?""",
                    rs -> {
                        long at = rs.getLong(1);
                        return rs.wasNull() ? null : at;
                    }, robotId, now.toEpochMilli());
            return pendingUntil != null ? new Rotation.Pending(Instant.ofEpochMilli(pendingUntil)) : new Rotation.Refused("revoked");
        });
    }

    /**
     * The agent saved the rotated token {@code newHash}: it stops expiring and every other token of the robot is
     * revoked, in one transaction under the robot's lock. Returns how many were revoked, or -1 when the new token had
     * expired or was revoked first (then nothing changes).
     */
    public int acknowledgeRotation(String robotId, String newHash, Instant now) {
        return db.write(tx -> {
            Connection connection = tx.connection();
            lock(connection, robotId);
            return promote(connection, robotId, newHash, now);
        });
    }

    private static int promote(Connection connection, String robotId, String newHash, Instant now) {
        int kept = Sql.update(connection, """
                        UPDATE robot_tokens SET expires_at = NULL
                        WHERE robot_id = ? AND token_hash = ? AND revoked_at IS NULL AND expires_at > ?""",
                robotId, newHash, now.toEpochMilli());
        if (kept == 0) {
            return -1;
        }
        return Sql.update(connection, "UPDATE robot_tokens SET revoked_at = ? WHERE robot_id = ? AND revoked_at IS NULL AND token_hash <> ?",
                now.toEpochMilli(), robotId, newHash);
    }

    /** Whether a connection's token may still speak for its robot, as checked at {@code hello}. */
    public enum TokenCheck {
        LIVE,
        /** The robot was removed. */
        REMOVED,
        /** The token was revoked (or its rotation expired) and the robot holds no live token. */
        REVOKED,
        /** The token was replaced by a rotation: the robot holds another live token. */
        ROTATED
    }

    /** {@link #checkToken(Connection, String, String, Instant)} in a transaction of its own. */
    public TokenCheck checkToken(String robotId, String tokenHash, Instant now) {
        return db.write(tx -> checkToken(tx.connection(), robotId, tokenHash, now));
    }

    /**
     * Checks again, under the robot's {@link #lock}, what was checked at the upgrade: the robot is not removed and
     * the connection's token is live. A revocation or removal that committed between the upgrade and now is seen
     * here. A rotated token not yet acknowledged becomes the robot's token now: its agent holds it.
     */
    public TokenCheck checkToken(Connection connection, String robotId, String tokenHash, Instant now) {
        lock(connection, robotId);
        record Row(boolean removed, boolean known, boolean revoked, Long expiresAt) {
        }
        Row row = Sql.first(connection, """
                        SELECT r.removed_at, t.id, t.revoked_at, t.expires_at
                        FROM robots r LEFT JOIN robot_tokens t ON t.robot_id = r.id AND t.token_hash = ?
                        WHERE r.id = ?""",
                rs -> {
                    rs.getLong(1);
                    boolean removed = !rs.wasNull();
                    boolean known = rs.getString(2) != null;
                    rs.getLong(3);
                    boolean revoked = !rs.wasNull();
                    long expires = rs.getLong(4);
                    return new Row(removed, known, revoked, rs.wasNull() ? null : expires);
                }, tokenHash, robotId);
        if (row == null || row.removed()) {
            return TokenCheck.REMOVED;
        }
        boolean expired = row.expiresAt() != null && row.expiresAt() <= now.toEpochMilli();
        if (!row.known() || row.revoked() || expired) {
            Integer others = Sql.first(connection, """
                            SELECT COUNT(*) FROM robot_tokens
                            WHERE robot_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)""",
                    rs -> rs.getInt(1), robotId, now.toEpochMilli());
            return others != null && others > 0 ? TokenCheck.ROTATED : TokenCheck.REVOKED;
        }
        if (row.expiresAt() != null) {
            promote(connection, robotId, tokenHash, now);
        }
        return TokenCheck.LIVE;
    }

    /** Marks a robot removed (its name becomes free) and revokes its tokens; false when already removed or unknown. */
    public boolean remove(Tx tx, String orgId, String robotId, Instant now) {
        boolean removed = RobotStates.remove(tx.connection(), orgId, robotId, now);
        if (removed) {
            revokeTokens(tx.connection(), robotId, now);
        }
        return removed;
    }

    /** Sets or clears {@code paused_at}; false when the robot is not in this org or removed. */
    public boolean setPaused(String orgId, String robotId, Instant pausedAt) {
        return db.write(tx -> RobotStates.pause(tx.connection(), orgId, robotId, pausedAt));
    }

    /** The robot a live token belongs to, when the token is valid and the robot not removed. */
    public Optional<Robot> byLiveToken(String tokenHash, Instant now) {
        return db.read(tx -> tx.createQuery("""
                        SELECT robots.*, (SELECT n.name FROM nodes n WHERE n.id = robots.node_id) AS node_name
                        FROM robot_tokens t JOIN robots ON robots.id = t.robot_id
                        WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > :now)
                          AND robots.removed_at IS NULL""")
                .bind("hash", tokenHash).bind("now", now.toEpochMilli()).map((rs, ctx) -> robot(rs)).findOne());
    }

    /** Why a token is not live, for a clear refusal: {@code revoked} (also: expired), {@code removed}, or empty when unknown. */
    public Optional<String> deadTokenReason(String tokenHash) {
        return db.read(tx -> tx.createQuery("""
                        SELECT CASE WHEN r.removed_at IS NOT NULL THEN 'removed' ELSE 'revoked' END
                        FROM robot_tokens t JOIN robots r ON r.id = t.robot_id WHERE t.token_hash = :hash""")
                .bind("hash", tokenHash).mapTo(String.class).findOne());
    }

    /** Ids of the robots that enrolled with a key, for cascade revocation. */
    public List<String> idsEnrolledWith(Tx tx, String enrollmentKeyId) {
        return tx.createQuery("SELECT id FROM robots WHERE enrollment_key_id = :key AND removed_at IS NULL")
                .bind("key", enrollmentKeyId).mapTo(String.class).list();
    }

    private Robot robot(ResultSet rs) throws SQLException {
        return new Robot(rs.getString("id"), rs.getString("org_id"), rs.getString("site_id"), rs.getString("fleet_id"),
                rs.getString("name"), rs.getString("enrollment_key_id"), Rows.instant(rs, "enrolled_at"),
                RobotStatus.of(rs.getString("status")), Rows.instant(rs, "last_seen_at"), rs.getString("ip"), rs.getString("hostname"),
                rs.getString("os"), rs.getString("arch"), rs.getString("agent_version"),
                read(rs.getString("capabilities"), STRING_LIST), read(rs.getString("labels"), STRING_MAP),
                read(rs.getString("operator_labels"), STRING_MAP), Rows.instant(rs, "paused_at"), Rows.instant(rs, "removed_at"), rs.getString("current_job_id"),
                rs.getString("node_name"));
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("lists and maps of strings always serialize", e);
        }
    }

    private <T> T read(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("robots row holds JSON Beacon did not write: " + text, e);
        }
    }
}
