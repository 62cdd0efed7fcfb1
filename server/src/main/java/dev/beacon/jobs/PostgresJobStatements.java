package dev.beacon.jobs;

import dev.beacon.robots.RobotStates;
import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@link JobStatements} for PostgreSQL: the insert and the settle of a success are each one statement whose robot
 * update is a data-modifying CTE, run in autocommit — one round trip where a transaction took four or five, and still
 * atomic (the robot updates are {@link RobotStates}'s, inlined). Other outcomes need {@link Transition}'s decision
 * on the job as read, so they run the portable transaction of {@link SqliteJobStatements}. Thread-safe.
 */
final class PostgresJobStatements implements JobStatements {
    private final Database db;
    private final JobRows rows;
    private final SqliteJobStatements readFirst;

    PostgresJobStatements(Database db, JobRows rows) {
        this.db = db;
        this.rows = rows;
        this.readFirst = new SqliteJobStatements(db, rows);
    }

    /**
     * The insert of a new job after a CTE {@code claimed} that claims its robot, if any, and returns the robot's
     * {@code id}, {@code session_id} and {@code node_id}; returns the robot id, session id and node id of the claim
     * (all null when nothing was claimed and the job is queued).
     */
    private static final String INSERT_AFTER_CLAIM = """
            INSERT INTO jobs (id, org_id, kind, payload, target_robot_id, target_fleet_id, target_site_id,
                              target_capabilities, target_labels, priority, timeout_s, max_attempts, attempts, status,
                              robot_id, session_id, idempotency_key, created_by, created_at, queued_at, assigned_at,
                              updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COUNT(*) FROM claimed),
                    CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN 'assigned' ELSE 'queued' END, (SELECT id FROM claimed),
                    (SELECT session_id FROM claimed), ?, ?, ?, ?,
                    CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN ?::bigint END, ?)
            RETURNING robot_id, session_id, (SELECT node_id FROM claimed)""";

    /**
     * Claims an idle robot of the organization that another node holds and that can run the new job: connected
     * (online, in a session, on a node other than the one given), idle, not paused, selected by the job's target and
     * advertising its kind and capabilities, and wanted by no queued job (so a new job never overtakes one that
     * waits for that robot). Rows another transaction has locked are skipped, so concurrent submits claim different
     * robots. A robot's labels are its agent's ({@code labels}) overlaid with its operator's ({@code operator_labels}):
     * {@code ||} of two JSON objects keeps the right one's value on a shared key, so the operator wins, as in
     * {@link Target#selects}. Without an index on idleness the organization's robots are scanned until the first
     * match: a partial index would make every claim and release of a robot a non-HOT update, which costs more than the scan.
     */
    private static final String CLAIM_ON_OTHER_NODE = """
            UPDATE robots SET status = 'busy', current_job_id = ?
            WHERE current_job_id IS NULL AND id = (
                SELECT r.id FROM robots r
                WHERE r.org_id = ? AND r.status = 'online' AND r.current_job_id IS NULL AND r.paused_at IS NULL
                  AND r.removed_at IS NULL AND r.session_id IS NOT NULL AND r.node_id <> ?
                  AND (?::text IS NULL OR r.id = ?) AND (?::text IS NULL OR r.fleet_id = ?) AND (?::text IS NULL OR r.site_id = ?)
                  AND r.capabilities::jsonb @> ?::jsonb AND (r.labels::jsonb || r.operator_labels::jsonb) @> ?::jsonb
                  AND NOT EXISTS (
                      SELECT 1 FROM jobs q
                      WHERE q.org_id = r.org_id AND q.status = 'queued'
                        AND (q.target_robot_id IS NULL OR q.target_robot_id = r.id)
                        AND (q.target_fleet_id IS NULL OR q.target_fleet_id = r.fleet_id)
                        AND (q.target_site_id IS NULL OR q.target_site_id = r.site_id)
                        AND r.capabilities::jsonb @> (jsonb_build_array(q.kind) || q.target_capabilities::jsonb)
                        AND (r.labels::jsonb || r.operator_labels::jsonb) @> q.target_labels::jsonb)
                LIMIT 1 FOR UPDATE OF r SKIP LOCKED)
            RETURNING id, session_id, node_id""";

    @Override
    public JobStore.Assignment insert(Job job, JobStore.Pair robot) {
        String claim = robot == null
                ? "SELECT NULL::text AS id, NULL::text AS session_id, NULL::text AS node_id WHERE false"
                : RobotStates.CLAIM_FOR_JOB + " RETURNING id, session_id, node_id";
        List<Object> claimParams = robot == null ? List.of() : List.of(job.id(), robot.robotId(), robot.sessionId());
        return insertAfter(claim, claimParams, job).assigned() ? JobStore.Assignment.ASSIGNED : JobStore.Assignment.ROBOT_UNAVAILABLE;
    }

    @Override
    public JobStore.Placement insertForOtherNode(Job job, String exceptNodeId) {
        Target target = job.target();
        List<String> required = new ArrayList<>();
        required.add(job.kind());
        required.addAll(target.capabilities());
        List<Object> claimParams = Arrays.asList(job.id(), job.orgId(), exceptNodeId, target.robotId(), target.robotId(),
                target.fleetId(), target.fleetId(), target.siteId(), target.siteId(), rows.write(required), rows.write(target.labels()));
        return insertAfter(CLAIM_ON_OTHER_NODE, claimParams, job);
    }

    private JobStore.Placement insertAfter(String claim, List<Object> claimParams, Job job) {
        long at = job.createdAt().toEpochMilli();
        List<Object> params = new ArrayList<>(claimParams);
        params.addAll(Arrays.asList(job.id(), job.orgId(), job.kind(), rows.write(job.payload()), job.target().robotId(),
                job.target().fleetId(), job.target().siteId(), rows.write(job.target().capabilities()),
                rows.write(job.target().labels()), job.priority(), job.timeoutS(), job.maxAttempts(),
                job.idempotencyKey(), job.createdBy(), at, at, at, at));
        return db.write(Database.Commit.ONE_STATEMENT, tx -> Sql.first(tx.connection(), "WITH claimed AS (" + claim + ") " + INSERT_AFTER_CLAIM,
                rs -> new JobStore.Placement(rs.getString(1), rs.getString(2), rs.getString(3)), params.toArray()));
    }

    @Override
    public Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant now, Instant acceptedAt) {
        if (event instanceof Transition.Event.Result result && result.status() == JobStatus.SUCCEEDED) {
            return settleSucceeded(jobId, sessionId, result, now, acceptedAt);
        }
        return readFirst.settle(jobId, sessionId, event, now, acceptedAt);
    }

    /**
     * A success ends a held job whatever its state ({@link Transition}), so nothing needs reading first: the job's
     * update and the robot's release are one statement, guarded by the session like every settle.
     */
    private Optional<Job> settleSucceeded(String jobId, String sessionId, Transition.Event.Result result, Instant now,
                                          Instant acceptedAt) {
        long at = now.toEpochMilli();
        return Optional.ofNullable(db.write(Database.Commit.ONE_STATEMENT, tx -> Sql.first(tx.connection(), """
                        WITH done AS (
                            UPDATE jobs SET status = 'succeeded', output = ?, exit_code = ?, error = ?, session_id = NULL,
                                   started_at = COALESCE(started_at, ?), finished_at = ?, updated_at = ?
                            WHERE id = ? AND session_id = ? AND status IN ('assigned', 'running')
                            RETURNING *),
                        freed AS (
                            UPDATE robots SET current_job_id = NULL, status = CASE WHEN status = 'busy' THEN 'online' ELSE status END
                            WHERE id = (SELECT robot_id FROM done) AND current_job_id = ?)
                        SELECT * FROM done""",
                rows::job, result.output() == null ? null : rows.write(result.output()), result.exitCode(), result.error(),
                acceptedAt == null ? null : acceptedAt.toEpochMilli(), at, at, jobId, sessionId, jobId)));
    }
}
