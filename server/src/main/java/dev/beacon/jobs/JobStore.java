package dev.beacon.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.robots.RobotStates;
import dev.beacon.robots.RobotStatus;
import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * SQL for jobs; the robot's claim by a job is {@link RobotStates}'s, and the writes whose SQL differs between the
 * databases (insert, settle) are {@link JobStatements}'s, one implementation per dialect. Every state change is a guarded UPDATE (on status and the holding session), so two racing changes — a
 * result and a timeout, two dispatchers — can never both apply. Thread-safe.
 */
public final class JobStore {
    /** Session ids per {@code IN} list: well under SQLite's 32,766 bound parameters, and a plan PostgreSQL caches. */
    private static final int SESSIONS_PER_READ = 500;

    private final Database db;
    private final JobRows rows;
    private final JobStatements statements;

    public JobStore(Database db, ObjectMapper json) {
        this.db = db;
        this.rows = new JobRows(json);
        this.statements = JobStatements.of(db, rows);
    }

    /** Inserts a new job, given to {@code robot} at once when it can be claimed; see {@link JobStatements#insert}. */
    Assignment insert(Job job, Pair robot) {
        return statements.insert(job, robot);
    }

    /** Inserts a new job, given at once to an idle robot of another node when one can take it; see {@link JobStatements#insertForOtherNode}. */
    Placement insertForOtherNode(Job job, String exceptNodeId) {
        return statements.insertForOtherNode(job, exceptNodeId);
    }

    Optional<Job> byId(String orgId, String id) {
        return Optional.ofNullable(db.read(tx ->
                Sql.first(tx.connection(), "SELECT * FROM jobs WHERE org_id = ? AND id = ?", rows::job, orgId, id)));
    }

    Optional<Job> byIdempotencyKey(String orgId, String key) {
        return Optional.ofNullable(db.read(tx ->
                Sql.first(tx.connection(), "SELECT * FROM jobs WHERE org_id = ? AND idempotency_key = ?", rows::job, orgId, key)));
    }

    /** Jobs of an organization by id (creation order), with optional filters. */
    List<Job> list(String orgId, JobStatus status, String robotId, String kind, String afterId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM jobs WHERE org_id = :org AND id > :after");
        if (status != null) {
            sql.append(" AND status = :status");
        }
        if (robotId != null) {
            sql.append(" AND robot_id = :robot");
        }
        if (kind != null) {
            sql.append(" AND kind = :kind");
        }
        sql.append(" ORDER BY id LIMIT :limit");
        return db.read(tx -> tx.createQuery(sql.toString())
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("status", status == null ? null : status.wireName())
                .bind("robot", robotId).bind("kind", kind).bind("limit", limit)
                .map((rs, ctx) -> rows.job(rs)).list());
    }

    /** The robot's most recent jobs (the ones it holds or ran last), newest first. */
    public List<Job> history(String robotId, int limit) {
        return db.read(tx -> tx.createQuery("SELECT * FROM jobs WHERE robot_id = :robot ORDER BY id DESC LIMIT :limit")
                .bind("robot", robotId).bind("limit", limit).map((rs, ctx) -> rows.job(rs)).list());
    }

    /** The head of an organization's queue: highest priority first, then oldest. */
    List<Job> queued(String orgId, int limit) {
        return db.read(tx -> tx.createQuery("""
                        SELECT * FROM jobs WHERE org_id = :org AND status = 'queued'
                        ORDER BY priority DESC, created_at, id LIMIT :limit""")
                .bind("org", orgId).bind("limit", limit).map((rs, ctx) -> rows.job(rs)).list());
    }

    /** What claiming a robot for a job did. */
    enum Assignment { ASSIGNED, ROBOT_UNAVAILABLE, JOB_TAKEN }

    /** Where a new job went: to the robot {@code robotId} in session {@code sessionId} of node {@code nodeId}, or nowhere (queued). */
    record Placement(String robotId, String sessionId, String nodeId) {
        static final Placement QUEUED = new Placement(null, null, null);

        boolean assigned() {
            return robotId != null;
        }
    }

    /** One planned assignment of a dispatch round. */
    record Pair(String jobId, String robotId, String sessionId) {
    }

    /**
     * Makes every planned assignment of a dispatch round in one transaction (one commit instead of one per job),
     * atomically per pair: the robot is claimed first (it must still be connected under the session, idle and not
     * paused), then the job — {@code WHERE status = 'queued'}: zero rows means another dispatcher (or a cancel) took
     * it first, so a job never goes to two robots. Robot row before job row, the same lock order as {@link #settle},
     * so the two cannot deadlock on PostgreSQL. Outcomes come back in order.
     */
    List<Assignment> assignAll(List<Pair> pairs, Instant now) {
        long at = now.toEpochMilli();
        return db.write(tx -> {
            Connection connection = tx.connection();
            List<Assignment> outcomes = new ArrayList<>(pairs.size());
            for (Pair pair : pairs) {
                outcomes.add(assign(connection, pair.jobId(), pair.robotId(), pair.sessionId(), at));
            }
            return outcomes;
        });
    }

    private Assignment assign(Connection connection, String jobId, String robotId, String sessionId, long at) {
        {
            if (!RobotStates.claimForJob(connection, robotId, sessionId, jobId)) {
                return Assignment.ROBOT_UNAVAILABLE;
            }
            int job = Sql.update(connection, """
                            UPDATE jobs SET status = 'assigned', robot_id = ?, session_id = ?, attempts = attempts + 1,
                                   assigned_at = ?, started_at = NULL, cancel_requested_at = NULL, updated_at = ?
                            WHERE id = ? AND status = 'queued' AND attempts < max_attempts""",
                    robotId, sessionId, at, at, jobId);
            if (job == 0) {
                RobotStates.releaseFromJob(connection, robotId, jobId);
                return Assignment.JOB_TAKEN;
            }
            return Assignment.ASSIGNED;
        }
    }

    /** A {@code job.accepted} not yet written. */
    record Accept(String jobId, String sessionId, Instant at) {
    }

    /**
     * {@code job.accepted}, for several jobs in one transaction: assigned → running, each only from the session that
     * holds the job (a job settled or requeued since is left as it is).
     */
    void accepted(List<Accept> accepts) {
        db.write(tx -> {
            Connection connection = tx.connection();
            for (Accept accept : accepts) {
                long at = accept.at().toEpochMilli();
                Sql.update(connection, """
                                UPDATE jobs SET status = 'running', started_at = ?, updated_at = ?
                                WHERE id = ? AND session_id = ? AND status = 'assigned'""",
                        at, at, accept.jobId(), accept.sessionId());
            }
            return null;
        });
    }

    /** Applies {@code event} to the job {@code sessionId} holds; see {@link JobStatements#settle}. */
    Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant now, Instant acceptedAt) {
        return statements.settle(jobId, sessionId, event, now, acceptedAt);
    }

    /** The jobs a session holds (to settle when it ends). */
    List<Job> heldBy(String sessionId) {
        return db.read(tx -> tx.createQuery("SELECT * FROM jobs WHERE session_id = :session AND status IN ('assigned', 'running')")
                .bind("session", sessionId).map((rs, ctx) -> rows.job(rs)).list());
    }

    /** The jobs these sessions hold, read {@value #SESSIONS_PER_READ} sessions at a time (a shutdown ends thousands). */
    List<Job> heldBy(Collection<String> sessionIds) {
        List<String> all = List.copyOf(sessionIds);
        List<Job> held = new ArrayList<>();
        for (int from = 0; from < all.size(); from += SESSIONS_PER_READ) {
            List<String> some = all.subList(from, Math.min(all.size(), from + SESSIONS_PER_READ));
            held.addAll(db.read(tx -> tx.createQuery("SELECT * FROM jobs WHERE session_id IN (<sessions>) AND status IN ('assigned', 'running')")
                    .bindList("sessions", some).map((rs, ctx) -> rows.job(rs)).list()));
        }
        return held;
    }

    /**
     * Every job held by a session that no live node holds open (at start: the sessions of this node's previous run,
     * of dead nodes, and of servers from before nodes existed). {@code liveSince}: the oldest heartbeat a live node
     * may have.
     */
    List<Job> abandonedHeld(long liveSince) {
        return db.read(tx -> tx.createQuery("SELECT * FROM jobs WHERE status IN ('assigned', 'running') AND (session_id IS NULL "
                        + "OR session_id NOT IN (SELECT c.session_id FROM robot_connections c WHERE c.disconnected_at IS NULL "
                        + "AND c.node_id IN (" + RobotStates.LIVE_NODES.replace("?", ":live") + ")))")
                .bind("live", liveSince).map((rs, ctx) -> rows.job(rs)).list());
    }

    /** Clears the current job of every robot no live node holds, at start. */
    int clearAbandonedCurrentJobs(long liveSince) {
        return db.write(tx -> RobotStates.releaseAbandoned(tx.connection(), liveSince));
    }

    /** The jobs held by sessions that node {@code nodeId} still has open (to settle when that node died). */
    List<Job> heldOnNode(String nodeId) {
        return db.read(tx -> tx.createQuery("""
                        SELECT * FROM jobs WHERE status IN ('assigned', 'running') AND session_id IN
                          (SELECT c.session_id FROM robot_connections c WHERE c.node_id = :node AND c.disconnected_at IS NULL)""")
                .bind("node", nodeId).map((rs, ctx) -> rows.job(rs)).list());
    }

    /**
     * Held jobs past their deadline: {@code timeout_s} plus {@code graceMillis} since assignment, or a cancel
     * requested more than {@code graceMillis} ago that the agent never confirmed.
     */
    List<Job> overdue(Instant now, long graceMillis) {
        return db.read(tx -> tx.createQuery("""
                        SELECT * FROM jobs WHERE status IN ('assigned', 'running')
                          AND (assigned_at + timeout_s * 1000 + :grace < :now
                               OR (cancel_requested_at IS NOT NULL AND cancel_requested_at + :grace < :now))""")
                .bind("grace", graceMillis).bind("now", now.toEpochMilli()).map((rs, ctx) -> rows.job(rs)).list());
    }

    /** queued → cancelled; false when the job was not queued (any more). */
    boolean cancelQueued(String orgId, String jobId, Instant now) {
        return db.write(tx -> Sql.update(tx.connection(), """
                        UPDATE jobs SET status = 'cancelled', error = 'cancelled while queued', finished_at = ?, updated_at = ?,
                                        cancel_requested_at = ?
                        WHERE org_id = ? AND id = ? AND status = 'queued'""",
                now.toEpochMilli(), now.toEpochMilli(), now.toEpochMilli(), orgId, jobId) == 1);
    }

    /** Marks a held job for cancellation (the agent is told; the job ends when it answers or its session ends). */
    boolean requestCancel(String orgId, String jobId, Instant now) {
        return db.write(tx -> Sql.update(tx.connection(), """
                        UPDATE jobs SET cancel_requested_at = ?, updated_at = ?
                        WHERE org_id = ? AND id = ? AND status IN ('assigned', 'running') AND cancel_requested_at IS NULL""",
                now.toEpochMilli(), now.toEpochMilli(), orgId, jobId) == 1);
    }

    /**
     * Queue figures of one organization, or of all when {@code orgId} is null: the counts (jobs queued, robots by
     * status, queued jobs by kind and fleet) read now, the waits from {@code waits}. Three statements, each bounded by
     * the queued jobs, the robots or the fleets; none walks the jobs that ran.
     */
    QueueFigures figures(String orgId, QueueWaits.Sums waits) {
        String org = orgId == null ? "" : " AND org_id = :org";
        return db.read(tx -> {
            // Across all organizations (the /metrics gauges) no statement uses :org; Jdbi would refuse the binding.
            tx.handle().getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
            Map<String, Long> queuedByKind = new TreeMap<>();
            Map<String, Long> queuedByFleet = new HashMap<>();
            tx.createQuery("SELECT kind, target_fleet_id, COUNT(*) AS n FROM jobs WHERE status = 'queued'" + org
                            + " GROUP BY kind, target_fleet_id")
                    .bind("org", orgId)
                    .map((rs, ctx) -> new QueuedGroup(rs.getString("kind"), rs.getString("target_fleet_id"), rs.getLong("n")))
                    .forEach(group -> {
                        queuedByKind.merge(group.kind(), group.count(), Long::sum);
                        if (group.fleetId() != null) {
                            queuedByFleet.merge(group.fleetId(), group.count(), Long::sum);
                        }
                    });
            Map<String, Long> robots = new HashMap<>();
            tx.createQuery("SELECT status, COUNT(*) AS n FROM robots WHERE removed_at IS NULL" + org + " GROUP BY status")
                    .bind("org", orgId)
                    .map((rs, ctx) -> Map.entry(rs.getString("status"), rs.getLong("n"))).forEach(e -> robots.put(e.getKey(), e.getValue()));
            List<QueueFigures.Wait> byFleet = tx.createQuery("SELECT id, name FROM fleets WHERE 1 = 1" + org + " ORDER BY name")
                    .bind("org", orgId).map((rs, ctx) -> {
                        String id = rs.getString("id");
                        return new QueueFigures.Wait(id, rs.getString("name"), queuedByFleet.getOrDefault(id, 0L),
                                waits.byFleet().getOrDefault(id, QueueWaits.Sum.NONE).averageSeconds());
                    }).list();
            waits.byKind().keySet().forEach(kind -> queuedByKind.putIfAbsent(kind, 0L));
            List<QueueFigures.Wait> byKind = queuedByKind.entrySet().stream().map(e -> new QueueFigures.Wait(null, e.getKey(),
                    e.getValue(), waits.byKind().getOrDefault(e.getKey(), QueueWaits.Sum.NONE).averageSeconds())).toList();
            long queued = queuedByKind.values().stream().mapToLong(Long::longValue).sum();
            long online = robots.getOrDefault(RobotStatus.ONLINE.wireName(), 0L);
            long busy = robots.getOrDefault(RobotStatus.BUSY.wireName(), 0L);
            return new QueueFigures(queued, waits.all().averageSeconds(), online + busy, online,
                    busy, robots.getOrDefault(RobotStatus.OFFLINE.wireName(), 0L), byFleet, byKind);
        });
    }

    /**
     * The waits of one organization's assignments made since {@code since}, by kind and by the fleet their robot is in
     * now. One walk of {@code jobs_assigned} (V11), which holds every column read, so no job row is touched; it is
     * grouped by kind and robot first, so only those groups (not every job) look up their robot.
     */
    QueueWaits.Sums waits(String orgId, Instant since) {
        Map<String, QueueWaits.Sum> byKind = new HashMap<>();
        Map<String, QueueWaits.Sum> byFleet = new HashMap<>();
        db.read(tx -> {
            tx.createQuery("""
                            SELECT g.kind AS kind, r.fleet_id AS fleet_id, SUM(g.n) AS n, SUM(g.total) AS total
                            FROM (SELECT kind, robot_id, COUNT(*) AS n, SUM(assigned_at - queued_at) AS total FROM jobs
                                  WHERE org_id = :org AND assigned_at >= :since AND assigned_at >= queued_at
                                  GROUP BY kind, robot_id) g
                            LEFT JOIN robots r ON r.id = g.robot_id
                            GROUP BY g.kind, r.fleet_id""")
                    .bind("org", orgId).bind("since", since.toEpochMilli())
                    .map((rs, ctx) -> new WaitGroup(rs.getString("kind"), rs.getString("fleet_id"),
                            new QueueWaits.Sum(rs.getLong("n"), rs.getLong("total"))))
                    .forEach(group -> {
                        byKind.merge(group.kind(), group.sum(), QueueWaits.Sum::plus);
                        if (group.fleetId() != null) {
                            byFleet.merge(group.fleetId(), group.sum(), QueueWaits.Sum::plus);
                        }
                    });
            return null;
        });
        QueueWaits.Sum all = byKind.values().stream().reduce(QueueWaits.Sum.NONE, QueueWaits.Sum::plus);
        return new QueueWaits.Sums(all, byKind, byFleet);
    }

    /** The queued jobs of one kind targeted at one fleet (null: no fleet in the target). */
    private record QueuedGroup(String kind, String fleetId, long count) {
    }

    /** The waits of one kind's assignments to the robots of one fleet (null: robot unknown). */
    private record WaitGroup(String kind, String fleetId, QueueWaits.Sum sum) {
    }

    /** The SQL of the queue's history charts, on this store's database. */
    QueueHistoryStore historyStore() {
        return new QueueHistoryStore(db);
    }

    /** Every organization's id (the figures of all sum theirs). */
    List<String> organizationIds() {
        return db.read(tx -> tx.createQuery("SELECT id FROM organizations").mapTo(String.class).list());
    }

    /** Names of sites and fleets by id, for {@code waiting_reason}. */
    Map<String, String> placeNames(String orgId) {
        return db.read(tx -> {
            Map<String, String> names = new java.util.HashMap<>();
            tx.createQuery("SELECT id, name FROM sites WHERE org_id = :org UNION ALL SELECT id, name FROM fleets WHERE org_id = :org")
                    .bind("org", orgId).map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("name")))
                    .forEach(e -> names.put(e.getKey(), e.getValue()));
            return names;
        });
    }

    /** Whether a site, fleet or robot (by table) with this id exists in the organization. */
    boolean exists(String table, String orgId, String id) {
        if (!List.of("sites", "fleets", "robots").contains(table)) {
            throw new IllegalArgumentException(table);
        }
        String removed = table.equals("robots") ? " AND removed_at IS NULL" : "";
        return db.read(tx -> Sql.first(tx.connection(), "SELECT 1 FROM " + table + " WHERE org_id = ? AND id = ?" + removed,
                rs -> true, orgId, id)) != null;
    }
}
