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

    @Override
    public JobStore.Assignment insert(Job job, JobStore.Pair robot) {
        long at = job.createdAt().toEpochMilli();
        String claim = robot == null ? "SELECT NULL::text AS id WHERE false" : RobotStates.CLAIM_FOR_JOB + " RETURNING id";
        List<Object> params = new ArrayList<>();
        if (robot != null) {
            params.addAll(List.of(job.id(), robot.robotId(), robot.sessionId()));
        }
        params.addAll(Arrays.asList(job.id(), job.orgId(), job.kind(), rows.write(job.payload()), job.target().robotId(),
                job.target().fleetId(), job.target().siteId(), rows.write(job.target().capabilities()),
                rows.write(job.target().labels()), job.priority(), job.timeoutS(), job.maxAttempts(),
                robot == null ? null : robot.sessionId(), job.idempotencyKey(), job.createdBy(), at, at, at, at));
        String status = db.write(Database.Commit.ONE_STATEMENT, tx -> Sql.first(tx.connection(), "WITH claimed AS (" + claim + ") " + """
                        INSERT INTO jobs (id, org_id, kind, payload, target_robot_id, target_fleet_id, target_site_id,
                                          target_capabilities, target_labels, priority, timeout_s, max_attempts, attempts, status,
                                          robot_id, session_id, idempotency_key, created_by, created_at, queued_at, assigned_at,
                                          updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COUNT(*) FROM claimed),
                                CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN 'assigned' ELSE 'queued' END, (SELECT id FROM claimed),
                                CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN ?::text END, ?, ?, ?, ?,
                                CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN ?::bigint END, ?)
                        RETURNING status""", rs -> rs.getString(1), params.toArray()));
        return JobStatus.ASSIGNED.wireName().equals(status) ? JobStore.Assignment.ASSIGNED : JobStore.Assignment.ROBOT_UNAVAILABLE;
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
