package dev.beacon.robots;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Database;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import java.sql.Connection;
import dev.beacon.tokens.Secret;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

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

    /** Inserts a new robot for an enrollment; within the claim's transaction. */
    public void insert(Connection connection, String id, String orgId, String siteId, String fleetId, String enrollmentKeyId,
                       Registration registration, Instant now) {
        Sql.update(connection, """
                        INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrollment_key_id, enrolled_at, status,
                                            ip, hostname, os, arch, agent_version, capabilities, labels)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'offline', ?, ?, ?, ?, ?, ?, ?)""",
                id, orgId, siteId, fleetId, registration.name(), enrollmentKeyId, now.toEpochMilli(), registration.ip(),
                registration.hostname(), registration.os(), registration.arch(), registration.agentVersion(),
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

    /** The robot not removed that holds {@code name} in the organization, if any. */
    public Optional<NameHolder> liveByName(Connection connection, String orgId, String name) {
        return Optional.ofNullable(Sql.first(connection,
                "SELECT id, fleet_id, status FROM robots WHERE org_id = ? AND name = ? AND removed_at IS NULL",
                rs -> new NameHolder(rs.getString("id"), name, rs.getString("fleet_id"), rs.getString("status")), orgId, name));
    }

    /** The robot that holds a name: what a claim needs to decide whether {@code replace} may take it over. */
    public record NameHolder(String id, String name, String fleetId, String status) {
        public boolean isConnected() {
            return Robot.ONLINE.equals(status) || Robot.BUSY.equals(status);
        }
    }

    public Optional<Robot> byId(String orgId, String id) {
        return db.read(handle -> handle.createQuery("SELECT * FROM robots WHERE org_id = :org AND id = :id")
                .bind("org", orgId).bind("id", id).map((rs, ctx) -> robot(rs)).findOne());
    }

    /** Robots of an organization not removed, by id, with optional filters. */
    public List<Robot> list(String orgId, String status, String siteId, String fleetId, String afterId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM robots WHERE org_id = :org AND removed_at IS NULL AND id > :after");
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
        return db.read(handle -> handle.createQuery(sql.toString())
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("status", status)
                .bind("site", siteId).bind("fleet", fleetId).bind("limit", limit)
                .map((rs, ctx) -> robot(rs)).list());
    }

    /** Every robot of an organization that is not removed (for dispatch and {@code waiting_reason}). */
    public List<Robot> allLive(String orgId) {
        return db.read(handle -> handle.createQuery("SELECT * FROM robots WHERE org_id = :org AND removed_at IS NULL ORDER BY id")
                .bind("org", orgId).map((rs, ctx) -> robot(rs)).list());
    }

    /** Stores the hash of a freshly minted robot token. */
    public void insertToken(Connection connection, String tokenId, String robotId, Secret token, Instant now) {
        Sql.update(connection, "INSERT INTO robot_tokens (id, robot_id, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)",
                tokenId, robotId, token.hash(), token.masked(), now.toEpochMilli());
    }

    /** Revokes every live token of a robot; returns how many were live. */
    public int revokeTokens(Connection connection, String robotId, Instant now) {
        return Sql.update(connection, "UPDATE robot_tokens SET revoked_at = ? WHERE robot_id = ? AND revoked_at IS NULL",
                now.toEpochMilli(), robotId);
    }

    /** Adds a token to a robot in a transaction of its own (token rotation: the old one stays valid until acknowledged). */
    public void addToken(String robotId, String tokenId, Secret token, Instant now) {
        db.transaction(handle -> {
            insertToken(handle.getConnection(), tokenId, robotId, token, now);
            return null;
        });
    }

    /** Revokes every live token of a robot but the one with {@code keepHash}; returns how many were revoked. */
    public int revokeTokensExcept(String robotId, String keepHash, Instant now) {
        return db.transaction(handle -> handle.createUpdate("""
                        UPDATE robot_tokens SET revoked_at = :now
                        WHERE robot_id = :robot AND revoked_at IS NULL AND token_hash <> :keep""")
                .bind("now", now.toEpochMilli()).bind("robot", robotId).bind("keep", keepHash).execute());
    }

    /** Marks a robot removed (its name becomes free) and revokes its tokens; false when already removed or unknown. */
    public boolean remove(Handle handle, String orgId, String robotId, Instant now) {
        boolean removed = handle.createUpdate("""
                        UPDATE robots SET removed_at = :now, status = 'offline', session_id = NULL
                        WHERE org_id = :org AND id = :id AND removed_at IS NULL""")
                .bind("now", now.toEpochMilli()).bind("org", orgId).bind("id", robotId).execute() == 1;
        if (removed) {
            revokeTokens(handle.getConnection(), robotId, now);
        }
        return removed;
    }

    /** Sets or clears {@code paused_at}; false when the robot is not in this org or removed. */
    public boolean setPaused(String orgId, String robotId, Instant pausedAt) {
        return db.transaction(handle -> handle.createUpdate("""
                        UPDATE robots SET paused_at = :paused WHERE org_id = :org AND id = :id AND removed_at IS NULL""")
                .bind("paused", pausedAt == null ? null : pausedAt.toEpochMilli()).bind("org", orgId).bind("id", robotId)
                .execute() == 1);
    }

    /** The robot a live token belongs to, when the token is valid and the robot not removed. */
    public Optional<Robot> byLiveToken(String tokenHash) {
        return db.read(handle -> handle.createQuery("""
                        SELECT r.* FROM robot_tokens t JOIN robots r ON r.id = t.robot_id
                        WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND r.removed_at IS NULL""")
                .bind("hash", tokenHash).map((rs, ctx) -> robot(rs)).findOne());
    }

    /** Why a token is not live, for a clear refusal: {@code revoked}, {@code removed}, or empty when unknown. */
    public Optional<String> deadTokenReason(String tokenHash) {
        return db.read(handle -> handle.createQuery("""
                        SELECT CASE WHEN r.removed_at IS NOT NULL THEN 'removed' ELSE 'revoked' END
                        FROM robot_tokens t JOIN robots r ON r.id = t.robot_id WHERE t.token_hash = :hash""")
                .bind("hash", tokenHash).mapTo(String.class).findOne());
    }

    /** Ids of the robots that enrolled with a key, for cascade revocation. */
    public List<String> idsEnrolledWith(Handle handle, String enrollmentKeyId) {
        return handle.createQuery("SELECT id FROM robots WHERE enrollment_key_id = :key AND removed_at IS NULL")
                .bind("key", enrollmentKeyId).mapTo(String.class).list();
    }

    private Robot robot(ResultSet rs) throws SQLException {
        return new Robot(rs.getString("id"), rs.getString("org_id"), rs.getString("site_id"), rs.getString("fleet_id"),
                rs.getString("name"), rs.getString("enrollment_key_id"), Rows.instant(rs, "enrolled_at"),
                rs.getString("status"), Rows.instant(rs, "last_seen_at"), rs.getString("ip"), rs.getString("hostname"),
                rs.getString("os"), rs.getString("arch"), rs.getString("agent_version"),
                read(rs.getString("capabilities"), STRING_LIST), read(rs.getString("labels"), STRING_MAP),
                Rows.instant(rs, "paused_at"), Rows.instant(rs, "removed_at"), rs.getString("current_job_id"));
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
