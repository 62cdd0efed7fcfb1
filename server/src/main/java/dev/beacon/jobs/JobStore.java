package dev.beacon.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * SQL for jobs, and for the two robot columns a job changes ({@code status = 'busy'}, {@code current_job_id}).
 * Every state change is a guarded UPDATE (on status and the holding session), so two racing changes — a
 * result and a timeout, two dispatchers — can never both apply. Thread-safe.
 */
public final class JobStore {
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final Database db;
    private final ObjectMapper json;

    public JobStore(Database db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    /**
     * Inserts a new job: given to {@code robot} at once when that robot can be claimed (exactly as {@link #assignAll}
     * claims it: still connected under its session, idle, not paused), queued otherwise. One transaction, robot row
     * before job row like {@link #assignAll}. Throws a unique violation when the job's idempotency key is taken (see
     * {@link Database#isUniqueViolation}), with nothing written. Returns {@code ASSIGNED} or {@code ROBOT_UNAVAILABLE}
     * (queued; also when {@code robot} is null).
     */
    Assignment insert(Job job, Pair robot) {
        long at = job.createdAt().toEpochMilli();
        if (db.dialect() == Dialect.POSTGRESQL) {
            return insertInOneStatement(job, robot, at);
        }
        return db.transactionJdbc(connection -> {
            boolean claimed = robot != null && claimRobot(connection, robot.robotId(), robot.sessionId(), job.id());
            Sql.update(connection, """
                            INSERT INTO jobs (id, org_id, kind, payload, target_robot_id, target_fleet_id, target_site_id,
                                              target_capabilities, target_labels, priority, timeout_s, max_attempts, attempts, status,
                                              robot_id, session_id, idempotency_key, created_by, created_at, queued_at, assigned_at,
                                              updated_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    job.id(), job.orgId(), job.kind(), write(job.payload()), job.target().robotId(), job.target().fleetId(),
                    job.target().siteId(), write(job.target().capabilities()), write(job.target().labels()), job.priority(),
                    job.timeoutS(), job.maxAttempts(), claimed ? 1 : 0, claimed ? Job.ASSIGNED : Job.QUEUED,
                    claimed ? robot.robotId() : null, claimed ? robot.sessionId() : null, job.idempotencyKey(), job.createdBy(),
                    at, at, claimed ? at : null, at);
            return claimed ? Assignment.ASSIGNED : Assignment.ROBOT_UNAVAILABLE;
        });
    }

    /**
     * {@link #insert} on PostgreSQL: the robot's claim is a data-modifying CTE of the INSERT, so both take one round
     * trip in autocommit (a transaction took four), and remain one atomic statement.
     */
    private Assignment insertInOneStatement(Job job, Pair robot, long at) {
        String claim = robot == null ? "SELECT NULL::text AS id WHERE false" : """
                UPDATE robots SET status = 'busy', current_job_id = ?
                WHERE id = ? AND session_id = ? AND current_job_id IS NULL AND paused_at IS NULL AND removed_at IS NULL
                RETURNING id""";
        List<Object> params = new ArrayList<>();
        if (robot != null) {
            params.addAll(List.of(job.id(), robot.robotId(), robot.sessionId()));
        }
        params.addAll(java.util.Arrays.asList(job.id(), job.orgId(), job.kind(), write(job.payload()), job.target().robotId(),
                job.target().fleetId(), job.target().siteId(), write(job.target().capabilities()), write(job.target().labels()),
                job.priority(), job.timeoutS(), job.maxAttempts(), robot == null ? null : robot.sessionId(), job.idempotencyKey(),
                job.createdBy(), at, at, at, at));
        String status = db.statementJdbc(connection -> Sql.first(connection, "WITH claimed AS (" + claim + ") " + """
                        INSERT INTO jobs (id, org_id, kind, payload, target_robot_id, target_fleet_id, target_site_id,
                                          target_capabilities, target_labels, priority, timeout_s, max_attempts, attempts, status,
                                          robot_id, session_id, idempotency_key, created_by, created_at, queued_at, assigned_at,
                                          updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COUNT(*) FROM claimed),
                                CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN 'assigned' ELSE 'queued' END, (SELECT id FROM claimed),
                                CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN ?::text END, ?, ?, ?, ?,
                                CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN ?::bigint END, ?)
                        RETURNING status""", rs -> rs.getString(1), params.toArray()));
        return Job.ASSIGNED.equals(status) ? Assignment.ASSIGNED : Assignment.ROBOT_UNAVAILABLE;
    }

    Optional<Job> byId(String orgId, String id) {
        return Optional.ofNullable(db.readJdbc(connection ->
                Sql.first(connection, "SELECT * FROM jobs WHERE org_id = ? AND id = ?", this::job, orgId, id)));
    }

    Optional<Job> byIdempotencyKey(String orgId, String key) {
        return Optional.ofNullable(db.readJdbc(connection ->
                Sql.first(connection, "SELECT * FROM jobs WHERE org_id = ? AND idempotency_key = ?", this::job, orgId, key)));
    }

    /** Jobs of an organization by id (creation order), with optional filters. */
    List<Job> list(String orgId, String status, String robotId, String kind, String afterId, int limit) {
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
        return db.read(handle -> handle.createQuery(sql.toString())
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("status", status)
                .bind("robot", robotId).bind("kind", kind).bind("limit", limit)
                .map((rs, ctx) -> job(rs)).list());
    }

    /** The robot's most recent jobs (the ones it holds or ran last), newest first. */
    public List<Job> history(String robotId, int limit) {
        return db.read(handle -> handle.createQuery("SELECT * FROM jobs WHERE robot_id = :robot ORDER BY id DESC LIMIT :limit")
                .bind("robot", robotId).bind("limit", limit).map((rs, ctx) -> job(rs)).list());
    }

    /** The head of an organization's queue: highest priority first, then oldest. */
    List<Job> queued(String orgId, int limit) {
        return db.read(handle -> handle.createQuery("""
                        SELECT * FROM jobs WHERE org_id = :org AND status = 'queued'
                        ORDER BY priority DESC, created_at, id LIMIT :limit""")
                .bind("org", orgId).bind("limit", limit).map((rs, ctx) -> job(rs)).list());
    }

    /** What claiming a robot for a job did. */
    enum Assignment { ASSIGNED, ROBOT_UNAVAILABLE, JOB_TAKEN }

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
        return db.transactionJdbc(connection -> {
            List<Assignment> outcomes = new ArrayList<>(pairs.size());
            for (Pair pair : pairs) {
                outcomes.add(assign(connection, pair.jobId(), pair.robotId(), pair.sessionId(), at));
            }
            return outcomes;
        });
    }

    private Assignment assign(Connection connection, String jobId, String robotId, String sessionId, long at) {
        {
            if (!claimRobot(connection, robotId, sessionId, jobId)) {
                return Assignment.ROBOT_UNAVAILABLE;
            }
            int job = Sql.update(connection, """
                            UPDATE jobs SET status = 'assigned', robot_id = ?, session_id = ?, attempts = attempts + 1,
                                   assigned_at = ?, started_at = NULL, cancel_requested_at = NULL, updated_at = ?
                            WHERE id = ? AND status = 'queued' AND attempts < max_attempts""",
                    robotId, sessionId, at, at, jobId);
            if (job == 0) {
                freeRobot(connection, robotId, jobId);
                return Assignment.JOB_TAKEN;
            }
            return Assignment.ASSIGNED;
        }
    }

    /** Marks the robot busy with {@code jobId} if it is still connected under {@code sessionId}, idle and not paused. */
    private static boolean claimRobot(Connection connection, String robotId, String sessionId, String jobId) {
        return Sql.update(connection, """
                        UPDATE robots SET status = 'busy', current_job_id = ?
                        WHERE id = ? AND session_id = ? AND current_job_id IS NULL AND paused_at IS NULL AND removed_at IS NULL""",
                jobId, robotId, sessionId) == 1;
    }

    /** A {@code job.accepted} not yet written. */
    record Accept(String jobId, String sessionId, Instant at) {
    }

    /**
     * {@code job.accepted}, for several jobs in one transaction: assigned → running, each only from the session that
     * holds the job (a job settled or requeued since is left as it is).
     */
    void accepted(List<Accept> accepts) {
        db.transactionJdbc(connection -> {
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

    /**
     * Applies {@code event} to the job {@code sessionId} holds, in one transaction: reads it, lets
     * {@link Transition} decide, writes the outcome guarded by the session it read (still holding the job: assigned
     * or running, as a deferred {@code job.accepted} may have moved it from one to the other meanwhile), and frees
     * the robot.
     * Empty when the session no longer holds the job (a late result, a job already timed out or reassigned).
     * {@code acceptedAt}: when the agent accepted the job, if that is not written yet (see {@link Dispatcher}); the
     * job is then settled as the running job it is, and its {@code started_at} written with the outcome.
     */
    Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant now, Instant acceptedAt) {
        if (db.dialect() == Dialect.POSTGRESQL && event instanceof Transition.Event.Result result && Job.SUCCEEDED.equals(result.status())) {
            return settleSucceeded(jobId, sessionId, result, now, acceptedAt);
        }
        return db.transactionJdbc(connection -> {
            Job read = Sql.first(connection, "SELECT * FROM jobs WHERE id = ? AND session_id = ?", this::job, jobId, sessionId);
            if (read == null || !read.isHeld()) {
                return Optional.<Job>empty();
            }
            Job held = acceptedAt != null && Job.ASSIGNED.equals(read.status()) ? running(read, acceptedAt) : read;
            Transition.Outcome outcome = Transition.of(held, event);
            boolean requeued = Job.QUEUED.equals(outcome.status());
            long at = now.toEpochMilli();
            int changed = Sql.update(connection, """
                            UPDATE jobs SET status = ?, output = ?, exit_code = ?, error = ?, robot_id = ?, session_id = NULL,
                                   queued_at = ?, started_at = ?, finished_at = ?, updated_at = ?
                            WHERE id = ? AND session_id = ? AND status IN ('assigned', 'running')""",
                    outcome.status(), outcome.output() == null ? null : write(outcome.output()), outcome.exitCode(), outcome.error(),
                    requeued ? null : held.robotId(), requeued ? at : held.queuedAt().toEpochMilli(),
                    held.startedAt() == null ? null : held.startedAt().toEpochMilli(), requeued ? null : at, at,
                    jobId, sessionId);
            if (changed == 0) {
                return Optional.<Job>empty();
            }
            freeRobot(connection, held.robotId(), jobId);
            // The row as just written, without reading it back.
            Instant written = Instant.ofEpochMilli(at);
            return Optional.of(new Job(held.id(), held.orgId(), held.kind(), held.payload(), held.target(), held.priority(),
                    held.timeoutS(), held.maxAttempts(), held.attempts(), outcome.status(), requeued ? null : held.robotId(), null,
                    held.idempotencyKey(), outcome.output(), outcome.exitCode(), outcome.error(), held.createdBy(), held.createdAt(),
                    requeued ? written : held.queuedAt(), held.assignedAt(), held.startedAt(), requeued ? null : written,
                    held.cancelRequestedAt(), written));
        });
    }

    /**
     * {@link #settle} of a success on PostgreSQL. A success ends a held job whatever its state ({@link Transition}), so
     * nothing needs reading first: the job's update and the robot's release are one statement (a data-modifying CTE),
     * one round trip in autocommit where the transaction took five, guarded by the session like every settle.
     */
    private Optional<Job> settleSucceeded(String jobId, String sessionId, Transition.Event.Result result, Instant now,
                                          Instant acceptedAt) {
        long at = now.toEpochMilli();
        return Optional.ofNullable(db.statementJdbc(connection -> Sql.first(connection, """
                        WITH done AS (
                            UPDATE jobs SET status = 'succeeded', output = ?, exit_code = ?, error = ?, session_id = NULL,
                                   started_at = COALESCE(started_at, ?), finished_at = ?, updated_at = ?
                            WHERE id = ? AND session_id = ? AND status IN ('assigned', 'running')
                            RETURNING *),
                        freed AS (
                            UPDATE robots SET current_job_id = NULL, status = CASE WHEN status = 'busy' THEN 'online' ELSE status END
                            WHERE id = (SELECT robot_id FROM done) AND current_job_id = ?)
                        SELECT * FROM done""",
                this::job, result.output() == null ? null : write(result.output()), result.exitCode(), result.error(),
                acceptedAt == null ? null : acceptedAt.toEpochMilli(), at, at, jobId, sessionId, jobId)));
    }

    private static Job running(Job job, Instant startedAt) {
        Instant started = Instant.ofEpochMilli(startedAt.toEpochMilli()); // what the database keeps
        return new Job(job.id(), job.orgId(), job.kind(), job.payload(), job.target(), job.priority(), job.timeoutS(),
                job.maxAttempts(), job.attempts(), Job.RUNNING, job.robotId(), job.sessionId(), job.idempotencyKey(), job.output(),
                job.exitCode(), job.error(), job.createdBy(), job.createdAt(), job.queuedAt(), job.assignedAt(), started,
                job.finishedAt(), job.cancelRequestedAt(), job.updatedAt());
    }

    /** Back to idle: a robot still connected becomes {@code online}; one already offline stays so. */
    private static void freeRobot(Connection connection, String robotId, String jobId) {
        Sql.update(connection, """
                        UPDATE robots SET current_job_id = NULL, status = CASE WHEN status = 'busy' THEN 'online' ELSE status END
                        WHERE id = ? AND current_job_id = ?""",
                robotId, jobId);
    }

    /** The jobs a session holds (to settle when it ends). */
    List<Job> heldBy(String sessionId) {
        return db.read(handle -> handle.createQuery("SELECT * FROM jobs WHERE session_id = :session AND status IN ('assigned', 'running')")
                .bind("session", sessionId).map((rs, ctx) -> job(rs)).list());
    }

    /** Every job some session holds (at start, all of them were held by sessions a restart ended). */
    List<Job> allHeld() {
        return db.read(handle -> handle.createQuery("SELECT * FROM jobs WHERE status IN ('assigned', 'running')")
                .map((rs, ctx) -> job(rs)).list());
    }

    /** Clears every robot's current job, at start (no session survives a restart). */
    int clearCurrentJobs() {
        return db.transaction(handle -> handle.createUpdate(
                "UPDATE robots SET current_job_id = NULL, status = CASE WHEN status = 'busy' THEN 'offline' ELSE status END "
                        + "WHERE current_job_id IS NOT NULL OR status = 'busy'").execute());
    }

    /**
     * Held jobs past their deadline: {@code timeout_s} plus {@code graceMillis} since assignment, or a cancel
     * requested more than {@code graceMillis} ago that the agent never confirmed.
     */
    List<Job> overdue(Instant now, long graceMillis) {
        return db.read(handle -> handle.createQuery("""
                        SELECT * FROM jobs WHERE status IN ('assigned', 'running')
                          AND (assigned_at + timeout_s * 1000 + :grace < :now
                               OR (cancel_requested_at IS NOT NULL AND cancel_requested_at + :grace < :now))""")
                .bind("grace", graceMillis).bind("now", now.toEpochMilli()).map((rs, ctx) -> job(rs)).list());
    }

    /** queued → cancelled; false when the job was not queued (any more). */
    boolean cancelQueued(String orgId, String jobId, Instant now) {
        return db.transactionJdbc(connection -> Sql.update(connection, """
                        UPDATE jobs SET status = 'cancelled', error = 'cancelled while queued', finished_at = ?, updated_at = ?,
                                        cancel_requested_at = ?
                        WHERE org_id = ? AND id = ? AND status = 'queued'""",
                now.toEpochMilli(), now.toEpochMilli(), now.toEpochMilli(), orgId, jobId) == 1);
    }

    /** Marks a held job for cancellation (the agent is told; the job ends when it answers or its session ends). */
    boolean requestCancel(String orgId, String jobId, Instant now) {
        return db.transactionJdbc(connection -> Sql.update(connection, """
                        UPDATE jobs SET cancel_requested_at = ?, updated_at = ?
                        WHERE org_id = ? AND id = ? AND status IN ('assigned', 'running') AND cancel_requested_at IS NULL""",
                now.toEpochMilli(), now.toEpochMilli(), orgId, jobId) == 1);
    }

    /** Queue figures of one organization, or of all when {@code orgId} is null. */
    QueueFigures figures(String orgId, Instant since) {
        String org = orgId == null ? "" : " AND org_id = :org";
        return db.read(handle -> {
            // Across all organizations (the /metrics gauges) no statement uses :org; Jdbi would refuse the binding.
            handle.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
            long queued = handle.createQuery("SELECT COUNT(*) FROM jobs WHERE status = 'queued'" + org)
                    .bind("org", orgId).mapTo(Long.class).one();
            Double avgWait = handle.createQuery("""
                            SELECT AVG(assigned_at - queued_at) FROM jobs
                            WHERE assigned_at >= :since AND assigned_at >= queued_at""" + org)
                    .bind("org", orgId).bind("since", since.toEpochMilli()).mapTo(Double.class).findOne().orElse(null);
            Map<String, Long> robots = new java.util.HashMap<>();
            handle.createQuery("SELECT status, COUNT(*) AS n FROM robots WHERE removed_at IS NULL" + org + " GROUP BY status")
                    .bind("org", orgId)
                    .map((rs, ctx) -> Map.entry(rs.getString("status"), rs.getLong("n"))).forEach(e -> robots.put(e.getKey(), e.getValue()));
            List<QueueFigures.Wait> byKind = handle.createQuery("""
                            SELECT kind AS name, SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued,
                                   AVG(CASE WHEN assigned_at >= :since AND assigned_at >= queued_at THEN assigned_at - queued_at END) AS wait
                            FROM jobs WHERE (status = 'queued' OR assigned_at >= :since)""" + org + " GROUP BY kind ORDER BY kind")
                    .bind("org", orgId).bind("since", since.toEpochMilli()).map((rs, ctx) -> wait(rs, null)).list();
            List<QueueFigures.Wait> byFleet = handle.createQuery("""
                            SELECT f.id AS id, f.name AS name,
                                   (SELECT COUNT(*) FROM jobs q WHERE q.status = 'queued' AND q.target_fleet_id = f.id) AS queued,
                                   (SELECT AVG(j.assigned_at - j.queued_at) FROM jobs j JOIN robots r ON r.id = j.robot_id
                                    WHERE r.fleet_id = f.id AND j.assigned_at >= :since AND j.assigned_at >= j.queued_at) AS wait
                            FROM fleets f WHERE 1 = 1""" + org.replace("org_id", "f.org_id") + " ORDER BY f.name")
                    .bind("org", orgId).bind("since", since.toEpochMilli()).map((rs, ctx) -> wait(rs, rs.getString("id"))).list();
            long online = robots.getOrDefault("online", 0L);
            long busy = robots.getOrDefault("busy", 0L);
            return new QueueFigures(queued, avgWait == null ? 0 : avgWait / 1000.0, online + busy, online,
                    busy, robots.getOrDefault("offline", 0L), byFleet, byKind);
        });
    }

    private static QueueFigures.Wait wait(ResultSet rs, String id) throws SQLException {
        String name = rs.getString("name");
        long queued = rs.getLong("queued");
        double wait = rs.getDouble("wait");
        return new QueueFigures.Wait(id, name, queued, rs.wasNull() ? 0 : wait / 1000.0);
    }

    /** Names of sites and fleets by id, for {@code waiting_reason}. */
    Map<String, String> placeNames(String orgId) {
        return db.read(handle -> {
            Map<String, String> names = new java.util.HashMap<>();
            handle.createQuery("SELECT id, name FROM sites WHERE org_id = :org UNION ALL SELECT id, name FROM fleets WHERE org_id = :org")
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
        return db.readJdbc(connection -> Sql.first(connection, "SELECT 1 FROM " + table + " WHERE org_id = ? AND id = ?" + removed,
                rs -> true, orgId, id)) != null;
    }

    private Job job(ResultSet rs) throws SQLException {
        int exitCode = rs.getInt("exit_code");
        Integer exit = rs.wasNull() ? null : exitCode;
        String output = rs.getString("output");
        return new Job(rs.getString("id"), rs.getString("org_id"), rs.getString("kind"), tree(rs.getString("payload")),
                new Target(rs.getString("target_robot_id"), rs.getString("target_fleet_id"), rs.getString("target_site_id"),
                        read(rs.getString("target_capabilities"), STRING_LIST), read(rs.getString("target_labels"), STRING_MAP)),
                rs.getInt("priority"), rs.getInt("timeout_s"), rs.getInt("max_attempts"), rs.getInt("attempts"), rs.getString("status"),
                rs.getString("robot_id"), rs.getString("session_id"), rs.getString("idempotency_key"),
                output == null ? null : tree(output), exit, rs.getString("error"), rs.getString("created_by"),
                Rows.instant(rs, "created_at"), Rows.instant(rs, "queued_at"), Rows.instant(rs, "assigned_at"),
                Rows.instant(rs, "started_at"), Rows.instant(rs, "finished_at"), Rows.instant(rs, "cancel_requested_at"),
                Rows.instant(rs, "updated_at"));
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON trees, lists and maps always serialize", e);
        }
    }

    private JsonNode tree(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jobs row holds JSON Beacon did not write", e);
        }
    }

    private <T> T read(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jobs row holds JSON Beacon did not write: " + text, e);
        }
    }
}
