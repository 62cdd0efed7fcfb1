package dev.beacon.jobs;

import dev.beacon.store.Database;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.statement.SqlStatements;

/** SQL for {@link QueueTimeline}: jobs waiting now, and the waits of recent assignments minute by minute. Thread-safe. */
final class QueueHistoryStore {
    private final Database db;

    QueueHistoryStore(Database db) {
        this.db = db;
    }

    /** Jobs waiting in one organization: all of them, and those targeted at each fleet (fleet id → count). Immutable. */
    record Queued(long all, Map<String, Long> byFleet) {
        static final Queued NONE = new Queued(0, Map.of());

        Queued {
            byFleet = Map.copyOf(byFleet);
        }
    }

    /** Assignments counted, their waits added up and the longest wait, in milliseconds. Immutable. */
    record Waits(long count, long totalMillis, long maxMillis) {
        static final Waits NONE = new Waits(0, 0, 0);

        Waits plus(Waits other) {
            return new Waits(count + other.count, totalMillis + other.totalMillis, Math.max(maxMillis, other.maxMillis));
        }
    }

    /** The waits of one minute's assignments: all, and by the fleet their machine is in now. Immutable. */
    record MinuteWaits(Waits all, Map<String, Waits> byFleet) {
        MinuteWaits {
            byFleet = Map.copyOf(byFleet);
        }
    }

    /**
     * The jobs waiting now, by organization (only those with any; all organizations when {@code orgId} is null).
     * Bounded by the queued jobs, like the counts of {@code GET /api/queue}.
     */
    Map<String, Queued> queuedNow(String orgId) {
        Map<String, Long> all = new HashMap<>();
        Map<String, Map<String, Long>> byFleet = new HashMap<>();
        db.read(tx -> {
            tx.handle().getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
            tx.createQuery("SELECT org_id, target_fleet_id, COUNT(*) AS n FROM jobs WHERE status = 'queued'"
                            + (orgId == null ? "" : " AND org_id = :org") + " GROUP BY org_id, target_fleet_id")
                    .bind("org", orgId)
                    .map((rs, ctx) -> new QueuedRow(rs.getString("org_id"), rs.getString("target_fleet_id"), rs.getLong("n")))
                    .forEach(row -> {
                        all.merge(row.orgId(), row.count(), Long::sum);
                        if (row.fleetId() != null) {
                            byFleet.computeIfAbsent(row.orgId(), id -> new HashMap<>()).merge(row.fleetId(), row.count(), Long::sum);
                        }
                    });
            return null;
        });
        Map<String, Queued> queued = new HashMap<>();
        all.forEach((org, n) -> queued.put(org, new Queued(n, byFleet.getOrDefault(org, Map.of()))));
        return queued;
    }

    /** Every organization's id. */
    List<String> organizationIds() {
        return db.read(tx -> tx.createQuery("SELECT id FROM organizations").mapTo(String.class).list());
    }

    /**
     * The waits of one organization's assignments made since {@code sinceMillis}, by minute (epoch millis / 60,000)
     * and by the fleet their machine is in now. One walk of {@code jobs_assigned} (V11) over those assignments alone:
     * the index holds every column read, so no job row is touched, and it is grouped by minute and machine before a
     * group (not a job) looks up its machine's fleet. {@link QueueTimeline} asks only for minutes it does not hold yet.
     */
    Map<Long, MinuteWaits> waitsSince(String orgId, long sinceMillis) {
        Map<Long, Waits> all = new HashMap<>();
        Map<Long, Map<String, Waits>> byFleet = new HashMap<>();
        db.read(tx -> {
            tx.createQuery("""
                            SELECT g.minute_no AS minute_no, r.fleet_id AS fleet_id, SUM(g.n) AS n, SUM(g.total) AS total,
                                   MAX(g.longest) AS longest
                            FROM (SELECT assigned_at / 60000 AS minute_no, robot_id, COUNT(*) AS n,
                                         SUM(assigned_at - queued_at) AS total, MAX(assigned_at - queued_at) AS longest
                                  FROM jobs
                                  WHERE org_id = :org AND assigned_at >= :since AND assigned_at >= queued_at
                                  GROUP BY assigned_at / 60000, robot_id) g
                            LEFT JOIN robots r ON r.id = g.robot_id
                            GROUP BY g.minute_no, r.fleet_id""")
                    .bind("org", orgId).bind("since", sinceMillis)
                    .map((rs, ctx) -> new WaitRow(rs.getLong("minute_no"), rs.getString("fleet_id"),
                            new Waits(rs.getLong("n"), rs.getLong("total"), rs.getLong("longest"))))
                    .forEach(row -> {
                        all.merge(row.minute(), row.waits(), Waits::plus);
                        if (row.fleetId() != null) {
                            byFleet.computeIfAbsent(row.minute(), m -> new HashMap<>()).merge(row.fleetId(), row.waits(), Waits::plus);
                        }
                    });
            return null;
        });
        Map<Long, MinuteWaits> minutes = new HashMap<>();
        all.forEach((minute, waits) -> minutes.put(minute, new MinuteWaits(waits, byFleet.getOrDefault(minute, Map.of()))));
        return minutes;
    }

    /** Queued jobs of one organization targeted at one fleet (null: no fleet in the target). */
    private record QueuedRow(String orgId, String fleetId, long count) {
    }

    /** The waits of one minute's assignments to the machines of one fleet (null: machine unknown). */
    private record WaitRow(long minute, String fleetId, Waits waits) {
    }
}
