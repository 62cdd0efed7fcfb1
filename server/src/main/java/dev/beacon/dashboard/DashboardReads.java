package dev.beacon.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.jobs.Target;
import dev.beacon.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Read-only SQL the dashboard needs beyond the API's own reads: newest-first job lists, names for ids and the server
 * nodes. Thread-safe.
 */
public final class DashboardReads {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Database db;

    public DashboardReads(Database db) {
        this.db = db;
    }

    /** The database these reads use, for the dashboard's other read-only SQL. */
    Database database() {
        return db;
    }

    /**
     * One line of the jobs table; {@code queuedAt} starts the current wait, which {@code assignedAt} ends, and
     * {@code startedAt}/{@code finishedAt} bound the run.
     */
    public record JobRow(String id, String kind, String status, String robotId, int attempts, int maxAttempts, Instant createdAt,
                         Instant finishedAt, String error, Target target, Instant queuedAt, Instant assignedAt, Instant startedAt) {
    }

    /** The organization's jobs, newest first, optionally filtered; {@code beforeId} pages to older ones. */
    public List<JobRow> jobs(String orgId, String status, String robotId, String kind, String beforeId, int limit) {
        StringBuilder sql = new StringBuilder("""
                SELECT id, kind, status, robot_id, attempts, max_attempts, created_at, finished_at, error, target_robot_id, target_fleet_id,
                       target_site_id, target_capabilities, target_labels, queued_at, assigned_at, started_at FROM jobs WHERE org_id = ?""");
        List<String> params = new ArrayList<>(List.of(orgId));
        if (status != null) {
            sql.append(" AND status = ?");
            params.add(status);
        }
        if (robotId != null) {
            sql.append(" AND robot_id = ?");
            params.add(robotId);
        }
        if (kind != null) {
            sql.append(" AND kind = ?");
            params.add(kind);
        }
        if (beforeId != null) {
            sql.append(" AND id < ?");
            params.add(beforeId);
        }
        sql.append(" ORDER BY id DESC LIMIT ").append(limit);
        return db.read(tx -> {
            Connection connection = tx.connection();
            try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
                for (int i = 0; i < params.size(); i++) {
                    statement.setString(i + 1, params.get(i));
                }
                List<JobRow> rows = new ArrayList<>();
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new JobRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5), rs.getInt(6),
                                instant(rs, 7), instant(rs, 8), rs.getString(9), target(rs), instant(rs, 15), instant(rs, 16), instant(rs, 17)));
                    }
                }
                return rows;
            }
        });
    }

    /** How many machines (not removed) each fleet of the organization has, by fleet id. */
    public Map<String, Long> machinesPerFleet(String orgId) {
        return db.read(tx -> {
            Connection connection = tx.connection();
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT fleet_id, COUNT(*) FROM robots WHERE org_id = ? AND removed_at IS NULL GROUP BY fleet_id")) {
                statement.setString(1, orgId);
                Map<String, Long> counts = new HashMap<>();
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        counts.put(rs.getString(1), rs.getLong(2));
                    }
                }
                return counts;
            }
        });
    }

    /**
     * A server node as the Nodes page shows it: alive while its lease is current and no survivor took it over (the
     * rule of {@code GET /api/cluster/nodes}), with the number of robots whose live session it holds, in every
     * organization.
     */
    public record NodeRow(String id, String name, String url, boolean alive, Instant startedAt, Instant lastHeartbeatAt,
                          int agentsConnected) {
    }

    /**
     * The nodes that have not stopped cleanly and renewed their lease since {@code since}, by name; alive when their
     * lease is not older than {@code liveSince}.
     */
    public List<NodeRow> nodes(Instant since, Instant liveSince) {
        return db.read(tx -> {
            try (PreparedStatement statement = tx.connection().prepareStatement("""
                    SELECT n.id, n.name, n.url, n.reaped_at, n.started_at, n.last_heartbeat_at,
                           (SELECT COUNT(*) FROM robots r WHERE r.node_id = n.id AND r.session_id IS NOT NULL)
                    FROM nodes n WHERE n.stopped_at IS NULL AND n.last_heartbeat_at >= ? ORDER BY n.name, n.id""")) {
                statement.setLong(1, since.toEpochMilli());
                List<NodeRow> rows = new ArrayList<>();
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        Instant reapedAt = instant(rs, 4);
                        Instant heartbeat = instant(rs, 6);
                        rows.add(new NodeRow(rs.getString(1), rs.getString(2), rs.getString(3),
                                reapedAt == null && !heartbeat.isBefore(liveSince), instant(rs, 5), heartbeat, rs.getInt(7)));
                    }
                }
                return rows;
            }
        });
    }

    /** How many nodes are alive: not stopped, not taken over, with a lease not older than {@code liveSince}. */
    public int aliveNodes(Instant liveSince) {
        return db.read(tx -> {
            try (PreparedStatement statement = tx.connection().prepareStatement(
                    "SELECT COUNT(*) FROM nodes WHERE stopped_at IS NULL AND reaped_at IS NULL AND last_heartbeat_at >= ?")) {
                statement.setLong(1, liveSince.toEpochMilli());
                try (ResultSet rs = statement.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        });
    }

    /** Names of the given robots of the organization (removed ones included), by id. */
    public Map<String, String> robotNames(String orgId, Collection<String> ids) {
        return names("robots", orgId, ids);
    }

    /** Names of the given enrollment keys of the organization, by id. */
    public Map<String, String> enrollmentKeyNames(String orgId, Collection<String> ids) {
        return names("enrollment_keys", orgId, ids);
    }

    /** Names of the given sites of the organization, by id. */
    public Map<String, String> siteNames(String orgId, Collection<String> ids) {
        return names("sites", orgId, ids);
    }

    /** Names of the given fleets of the organization, by id. */
    public Map<String, String> fleetNames(String orgId, Collection<String> ids) {
        return names("fleets", orgId, ids);
    }

    /** Names of the given API keys of the organization, by id. */
    public Map<String, String> apiKeyNames(String orgId, Collection<String> ids) {
        return names("api_keys", orgId, ids);
    }

    /** Usernames of the given users, by id. */
    public Map<String, String> usernames(Collection<String> ids) {
        List<String> wanted = ids.stream().filter(java.util.Objects::nonNull).distinct().toList();
        if (wanted.isEmpty()) {
            return Map.of();
        }
        String marks = String.join(",", java.util.Collections.nCopies(wanted.size(), "?"));
        return query("SELECT id, username FROM users WHERE id IN (" + marks + ")", wanted);
    }

    private Map<String, String> names(String table, String orgId, Collection<String> ids) {
        List<String> wanted = ids.stream().filter(java.util.Objects::nonNull).distinct().toList();
        if (wanted.isEmpty()) {
            return Map.of();
        }
        String marks = String.join(",", java.util.Collections.nCopies(wanted.size(), "?"));
        List<String> params = new ArrayList<>(wanted);
        params.add(orgId);
        return query("SELECT id, name FROM " + table + " WHERE id IN (" + marks + ") AND org_id = ?", params);
    }

    private Map<String, String> query(String sql, List<String> params) {
        return db.read(tx -> {
            Connection connection = tx.connection();
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < params.size(); i++) {
                    statement.setString(i + 1, params.get(i));
                }
                Map<String, String> names = new HashMap<>();
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        names.put(rs.getString(1), rs.getString(2));
                    }
                }
                return names;
            }
        });
    }

    /** A row's target, from columns 10 to 14; capabilities and labels are stored as JSON. */
    private static Target target(ResultSet rs) throws SQLException {
        try {
            List<String> capabilities = JSON.readValue(rs.getString(13), new TypeReference<List<String>>() { });
            Map<String, String> labels = JSON.readValue(rs.getString(14), new TypeReference<Map<String, String>>() { });
            return new Target(rs.getString(10), rs.getString(11), rs.getString(12), capabilities, labels);
        } catch (JsonProcessingException e) {
            // Only Beacon writes these columns; a row it cannot read shows without its capabilities and labels.
            return new Target(rs.getString(10), rs.getString(11), rs.getString(12), List.of(), Map.of());
        }
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
