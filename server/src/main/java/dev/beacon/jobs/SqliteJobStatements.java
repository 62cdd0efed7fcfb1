package dev.beacon.jobs;

import dev.beacon.robots.RobotStates;
import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import java.sql.Connection;
import java.time.Instant;
import java.util.Optional;

/**
 * {@link JobStatements} for SQLite: each write is a transaction of plain statements (robot row before job row, like
 * {@link JobStore#assignAll}). These statements are portable; {@link PostgresJobStatements} uses {@link #settle} for
 * the outcomes it cannot write without reading the job first (a success it writes in one statement of its own). Thread-safe.
 */
final class SqliteJobStatements implements JobStatements {
    private final Database db;
    private final JobRows rows;

    SqliteJobStatements(Database db, JobRows rows) {
        this.db = db;
        this.rows = rows;
    }

    @Override
    public JobStore.Assignment insert(Job job, JobStore.Pair robot) {
        long at = job.createdAt().toEpochMilli();
        return db.write(tx -> {
            Connection connection = tx.connection();
            boolean claimed = robot != null && RobotStates.claimForJob(connection, robot.robotId(), robot.sessionId(), job.id());
            Sql.update(connection, """
                            INSERT INTO jobs (id, org_id, kind, payload, target_robot_id, target_fleet_id, target_site_id,
                                              target_capabilities, target_labels, priority, timeout_s, max_attempts, attempts, status,
                                              robot_id, session_id, idempotency_key, created_by, created_at, queued_at, assigned_at,
                                              updated_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    job.id(), job.orgId(), job.kind(), rows.write(job.payload()), job.target().robotId(), job.target().fleetId(),
                    job.target().siteId(), rows.write(job.target().capabilities()), rows.write(job.target().labels()), job.priority(),
                    job.timeoutS(), job.maxAttempts(), claimed ? 1 : 0, (claimed ? JobStatus.ASSIGNED : JobStatus.QUEUED).wireName(),
                    claimed ? robot.robotId() : null, claimed ? robot.sessionId() : null, job.idempotencyKey(), job.createdBy(),
                    at, at, claimed ? at : null, at);
            return claimed ? JobStore.Assignment.ASSIGNED : JobStore.Assignment.ROBOT_UNAVAILABLE;
        });
    }

    /** SQLite is one process: there is no other node, so the job is queued. */
    @Override
    public JobStore.Placement insertForOtherNode(Job job, String exceptNodeId) {
        insert(job, null);
        return JobStore.Placement.QUEUED;
    }

    /**
     * A success is written without reading the job first (see {@link #settleSucceeded}); any other outcome reads the
     * held job, lets {@link Transition} decide, and writes the outcome guarded by the session it read.
     */
    @Override
    public Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant now, Instant acceptedAt) {
        if (event instanceof Transition.Event.Result result && result.status() == JobStatus.SUCCEEDED) {
            return settleSucceeded(jobId, sessionId, result, now, acceptedAt);
        }
        return db.write(tx -> {
            Connection connection = tx.connection();
            Job read = Sql.first(connection, "SELECT * FROM jobs WHERE id = ? AND session_id = ?", rows::job, jobId, sessionId);
            if (read == null || !read.isHeld()) {
                return Optional.<Job>empty();
            }
            Job held = acceptedAt != null && read.status() == JobStatus.ASSIGNED ? running(read, acceptedAt) : read;
            Transition.Outcome outcome = Transition.of(held, event);
            boolean requeued = outcome.status() == JobStatus.QUEUED;
            // An attempt given back (the server's shutdown interrupted it) is undone in this same guarded UPDATE, so it
            // happens exactly when the settle does; attempts is at least 1 while the job is held (the claim counted it).
            int givenBack = outcome.attemptGivenBack() ? 1 : 0;
            long at = now.toEpochMilli();
            int changed = Sql.update(connection, """
                            UPDATE jobs SET status = ?, output = ?, exit_code = ?, error = ?, robot_id = ?, session_id = NULL,
                                   queued_at = ?, started_at = ?, finished_at = ?, updated_at = ?, attempts = attempts - ?
                            WHERE id = ? AND session_id = ? AND status IN ('assigned', 'running')""",
                    outcome.status().wireName(), outcome.output() == null ? null : rows.write(outcome.output()), outcome.exitCode(),
                    outcome.error(), requeued ? null : held.robotId(), requeued ? at : held.queuedAt().toEpochMilli(),
                    held.startedAt() == null ? null : held.startedAt().toEpochMilli(), requeued ? null : at, at, givenBack,
                    jobId, sessionId);
            if (changed == 0) {
                return Optional.<Job>empty();
            }
            RobotStates.releaseFromJob(connection, held.robotId(), jobId);
            // The row as just written, without reading it back.
            Instant written = Instant.ofEpochMilli(at);
            return Optional.of(new Job(held.id(), held.orgId(), held.kind(), held.payload(), held.target(), held.priority(),
                    held.timeoutS(), held.maxAttempts(), held.attempts() - givenBack, outcome.status(), requeued ? null : held.robotId(), null,
                    held.idempotencyKey(), outcome.output(), outcome.exitCode(), outcome.error(), held.createdBy(), held.createdAt(),
                    requeued ? written : held.queuedAt(), held.assignedAt(), held.startedAt(), requeued ? null : written,
                    held.cancelRequestedAt(), written));
        });
    }

    /**
     * A success ends a held job whatever its state ({@link Transition}), so nothing needs reading first: one guarded
     * UPDATE (the session still holds the job) returns the row as written, and the robot it names is released — the
     * same rows as the read-decide-write path, one statement fewer, and the job's JSON columns parsed once.
     */
    private Optional<Job> settleSucceeded(String jobId, String sessionId, Transition.Event.Result result, Instant now,
                                          Instant acceptedAt) {
        long at = now.toEpochMilli();
        return db.write(tx -> {
            Connection connection = tx.connection();
            Job done = Sql.first(connection, """
                            UPDATE jobs SET status = 'succeeded', output = ?, exit_code = ?, error = ?, session_id = NULL,
                                   started_at = COALESCE(started_at, ?), finished_at = ?, updated_at = ?
                            WHERE id = ? AND session_id = ? AND status IN ('assigned', 'running')
                            RETURNING *""",
                    rows::job, result.output() == null ? null : rows.write(result.output()), result.exitCode(), result.error(),
                    acceptedAt == null ? null : acceptedAt.toEpochMilli(), at, at, jobId, sessionId);
            if (done == null) {
                return Optional.<Job>empty();
            }
            RobotStates.releaseFromJob(connection, done.robotId(), jobId);
            return Optional.of(done);
        });
    }

    private static Job running(Job job, Instant startedAt) {
        Instant started = Instant.ofEpochMilli(startedAt.toEpochMilli()); // what the database keeps
        return new Job(job.id(), job.orgId(), job.kind(), job.payload(), job.target(), job.priority(), job.timeoutS(),
                job.maxAttempts(), job.attempts(), JobStatus.RUNNING, job.robotId(), job.sessionId(), job.idempotencyKey(), job.output(),
                job.exitCode(), job.error(), job.createdBy(), job.createdAt(), job.queuedAt(), job.assignedAt(), started,
                job.finishedAt(), job.cancelRequestedAt(), job.updatedAt());
    }
}
