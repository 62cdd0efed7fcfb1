package dev.beacon.dashboard;

import dev.beacon.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Read-only SQL of the Machines page: how many machines of an organization match a search in each
 * {@link MachineState}, one sorted page of their ids, and the kinds of the jobs machines hold. The state is derived
 * in the same statement ({@link MachineState#SQL}), so the tabs, their counts and the rows always agree. The same SQL
 * runs on SQLite and PostgreSQL. Thread-safe.
 */
final class MachineSearch {
    private final Database db;

    MachineSearch(Database db) {
        this.db = db;
    }

    /** How many machines (not removed) match the search and place of {@code query} in each state; states without any are 0. */
    Map<MachineState, Long> counts(String orgId, MachineQuery query, Instant responsiveSince) {
        List<Object> params = new ArrayList<>();
        String sql = "SELECT m.state, COUNT(*) FROM (" + matching(orgId, query, responsiveSince, params) + ") m GROUP BY m.state";
        return db.read(tx -> {
            Map<MachineState, Long> counts = new EnumMap<>(MachineState.class);
            for (MachineState state : MachineState.values()) {
                counts.put(state, 0L);
            }
            query(tx.connection(), sql, params, rs -> {
                var state = MachineState.fromTag(rs.getString(1));
                if (state.isPresent()) {
                    counts.put(state.get(), rs.getLong(2));
                }
            });
            return counts;
        });
    }

    /** A machine found, with its state as the counts saw it. */
    record Hit(String id, MachineState state) {
    }

    /** One page of matching machines in {@code state} (null: any), in the order {@code query} asks for. */
    List<Hit> page(String orgId, MachineQuery query, MachineState state, Instant responsiveSince, int offset, int limit) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT m.id, m.state FROM (").append(matching(orgId, query, responsiveSince, params)).append(") m");
        if (state != null) {
            sql.append(" WHERE m.state = ?");
            params.add(state.tag());
        }
        String dir = query.descending() ? " DESC" : "";
        sql.append(" ORDER BY ").append(switch (query.sort()) {
            case "status" -> "CASE m.state WHEN 'online' THEN 1 WHEN 'busy' THEN 2 WHEN 'unresponsive' THEN 3 WHEN 'offline' THEN 4 "
                    + "WHEN 'never' THEN 5 ELSE 6 END" + dir + ", ";
            case "last_seen" -> "COALESCE(m.last_seen_at, 0)" + dir + ", ";
            case "place" -> "(SELECT s.name FROM sites s WHERE s.id = m.site_id)" + dir
                    + ", (SELECT f.name FROM fleets f WHERE f.id = m.fleet_id)" + dir + ", ";
            default -> "";
        }).append("m.name").append("name".equals(query.sort()) ? dir : "").append(", m.id LIMIT ? OFFSET ?");
        params.add(limit);
        params.add(offset);
        return db.read(tx -> {
            List<Hit> hits = new ArrayList<>();
            query(tx.connection(), sql.toString(), params,
                    rs -> hits.add(new Hit(rs.getString(1), MachineState.fromTag(rs.getString(2)).orElseThrow())));
            return hits;
        });
    }

    /** The kinds of the given jobs of the organization, by job id. */
    Map<String, String> jobKinds(String orgId, Collection<String> jobIds) {
        List<Object> wanted = new ArrayList<>(jobIds.stream().filter(Objects::nonNull).distinct().toList());
        if (wanted.isEmpty()) {
            return Map.of();
        }
        String sql = "SELECT id, kind FROM jobs WHERE id IN (" + String.join(",", Collections.nCopies(wanted.size(), "?")) + ") AND org_id = ?";
        wanted.add(orgId);
        return db.read(tx -> {
            Map<String, String> kinds = new HashMap<>();
            query(tx.connection(), sql, wanted, rs -> kinds.put(rs.getString(1), rs.getString(2)));
            return kinds;
        });
    }

    /**
     * The organization's machines matching the search and place of {@code query}, each with its state, as a
     * subquery. The search is a case-insensitive substring of the name, hostname, IP address, the labels' JSON (so a
     * label key or value matches) or the site or fleet name; {@code key=value} also matches that one label exactly.
     * LIKE's wildcards in the search are escaped.
     */
    private static String matching(String orgId, MachineQuery query, Instant responsiveSince, List<Object> params) {
        params.add(responsiveSince.toEpochMilli());
        params.add(orgId);
        StringBuilder sql = new StringBuilder("SELECT r.id, r.name, r.last_seen_at, r.site_id, r.fleet_id, ").append(MachineState.SQL)
                .append(" AS state FROM robots r WHERE r.org_id = ? AND r.removed_at IS NULL");
        if (query.siteId() != null) {
            sql.append(" AND r.site_id = ?");
            params.add(query.siteId());
        }
        if (query.fleetId() != null) {
            sql.append(" AND r.fleet_id = ?");
            params.add(query.fleetId());
        }
        String q = query.q();
        if (q != null) {
            String like = "%" + escape(q.toLowerCase(Locale.ROOT)) + "%";
            sql.append(" AND (LOWER(r.name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(r.hostname, '')) LIKE ? ESCAPE '\\'"
                    + " OR LOWER(COALESCE(r.ip, '')) LIKE ? ESCAPE '\\' OR LOWER(r.labels) LIKE ? ESCAPE '\\'"
                    + " OR LOWER((SELECT s.name FROM sites s WHERE s.id = r.site_id)) LIKE ? ESCAPE '\\'"
                    + " OR LOWER((SELECT f.name FROM fleets f WHERE f.id = r.fleet_id)) LIKE ? ESCAPE '\\'");
            params.addAll(List.of(like, like, like, like, like, like));
            int eq = q.indexOf('=');
            if (eq > 0) {
                sql.append(" OR r.labels LIKE ? ESCAPE '\\'");
                params.add("%\"" + escape(q.substring(0, eq).strip()) + "\":\"" + escape(q.substring(eq + 1).strip()) + "\"%");
            }
            sql.append(')');
        }
        return sql.toString();
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    private interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    private static void query(Connection connection, String sql, List<Object> params, RowReader reader) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                statement.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    reader.read(rs);
                }
            }
        }
    }
}
