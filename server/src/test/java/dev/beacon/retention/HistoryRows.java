package dev.beacon.retention;

import dev.beacon.store.Database;
import dev.beacon.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;

/**
 * Rows of history written straight into a test server's database with the timestamps a test needs (a job that
 * finished 31 days ago, a key revoked a year ago), and counts read back. The API cannot backdate rows; this can. One
 * connection of its own beside the server's; used from the test's thread. Not thread-safe.
 */
final class HistoryRows implements AutoCloseable {
    private final Connection connection;
    private final String orgId;
    private String siteId;
    private String fleetId;

    HistoryRows(TestServer server) throws SQLException {
        if (server.databaseUrl().isEmpty()) {
            Properties properties = new Properties();
            properties.setProperty("busy_timeout", "10000");
            properties.setProperty("foreign_keys", "true");
            connection = DriverManager.getConnection(Database.sqliteUrl(server.dataDir()), properties);
        } else {
            connection = DriverManager.getConnection(server.databaseUrl());
        }
        orgId = string("SELECT id FROM organizations WHERE name = 'default'");
    }

    Connection connection() {
        return connection;
    }

    /** A job in {@code status}; {@code finishedAt} null for one that has not finished. Returns its id. */
    String job(String status, Instant createdAt, Instant finishedAt, String output) throws SQLException {
        String id = id("job");
        update("""
                        INSERT INTO jobs (id, org_id, kind, payload, timeout_s, max_attempts, attempts, status, output, created_at,
                                          queued_at, assigned_at, started_at, finished_at, updated_at)
                        VALUES (?, ?, 'echo', '{}', 300, 3, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                id, orgId, status.equals("queued") ? 0 : 1, status, output, millis(createdAt), millis(createdAt),
                status.equals("queued") ? null : millis(createdAt), status.equals("queued") ? null : millis(createdAt), millis(finishedAt),
                millis(finishedAt == null ? createdAt : finishedAt));
        return id;
    }

    String auditEvent(Instant at) throws SQLException {
        String id = id("aud");
        update("INSERT INTO audit_events (id, org_id, actor_type, action, created_at) VALUES (?, ?, 'system', 'test.event', ?)",
                id, orgId, millis(at));
        return id;
    }

    /** A robot enrolled with {@code enrollmentKeyId} (may be null). */
    String robot(String enrollmentKeyId, Instant enrolledAt) throws SQLException {
        place(enrolledAt);
        String id = id("rob");
        update("INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrollment_key_id, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                id, orgId, siteId, fleetId, id, enrollmentKeyId, millis(enrolledAt));
        return id;
    }

    /** A connection of {@code robotId}; {@code closedAt} null for one still open. */
    String connection(String robotId, Instant openedAt, Instant closedAt) throws SQLException {
        String id = id("con");
        update("""
                        INSERT INTO robot_connections (id, robot_id, session_id, connected_at, disconnected_at, reason)
                        VALUES (?, ?, ?, ?, ?, ?)""",
                id, robotId, id("ses"), millis(openedAt), millis(closedAt), closedAt == null ? null : "closed");
        return id;
    }

    String token(String robotId, Instant createdAt, Instant revokedAt, Instant expiresAt) throws SQLException {
        String id = id("tok");
        update("INSERT INTO robot_tokens (id, robot_id, token_hash, prefix, created_at, revoked_at, expires_at) VALUES (?, ?, ?, 'x', ?, ?, ?)",
                id, robotId, id, millis(createdAt), millis(revokedAt), millis(expiresAt));
        return id;
    }

    String enrollmentKey(Instant createdAt, Instant expiresAt, Instant revokedAt) throws SQLException {
        place(createdAt);
        String id = id("enk");
        update("""
                        INSERT INTO enrollment_keys (id, org_id, site_id, fleet_id, name, key_hash, key_prefix, key_ciphertext, max_uses,
                                                     expires_at, created_at, revoked_at)
                        VALUES (?, ?, ?, ?, ?, ?, 'x', 'x', 5, ?, ?, ?)""",
                id, orgId, siteId, fleetId, id, id, millis(expiresAt), millis(createdAt), millis(revokedAt));
        return id;
    }

    boolean exists(String table, String id) throws SQLException {
        return string("SELECT id FROM " + table + " WHERE id = ?", id) != null;
    }

    String output(String jobId) throws SQLException {
        return string("SELECT output FROM jobs WHERE id = ?", jobId);
    }

    private void place(Instant at) throws SQLException {
        if (siteId == null) {
            siteId = id("sit");
            fleetId = id("flt");
            update("INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)", siteId, orgId, siteId, millis(at));
            update("INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES (?, ?, ?, ?, ?)", fleetId, orgId, siteId, fleetId,
                    millis(at));
        }
    }

    private static Long millis(Instant at) {
        return at == null ? null : at.toEpochMilli();
    }

    private static String id(String tag) {
        return tag + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 22);
    }

    void update(String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = prepare(sql, params)) {
            statement.executeUpdate();
        }
    }

    private String string(String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = prepare(sql, params); ResultSet rs = statement.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private PreparedStatement prepare(String sql, Object... params) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            if (params[i] == null) {
                statement.setNull(i + 1, java.sql.Types.NULL);
            } else {
                statement.setObject(i + 1, params[i]);
            }
        }
        return statement;
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
