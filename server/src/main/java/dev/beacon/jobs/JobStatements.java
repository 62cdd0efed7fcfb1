package dev.beacon.jobs;

import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import java.time.Instant;
import java.util.Optional;

/**
 * The job writes whose SQL differs between the two databases — inserting a job together with its robot's claim, and
 * settling a held job — one implementation per {@link Dialect}, side by side: {@link SqliteJobStatements} (several
 * statements in one transaction, which SQLite's single writer runs without round trips) and
 * {@link PostgresJobStatements} (one statement with data-modifying CTEs where that saves round trips). Both must
 * leave the same rows and return the same results; {@code JobStatementsTest} runs one sequence through both.
 * Implementations are thread-safe.
 */
interface JobStatements {
    /** The statements for {@code db}'s dialect. */
    static JobStatements of(Database db, JobRows rows) {
        return switch (db.dialect()) {
            case SQLITE -> new SqliteJobStatements(db, rows);
            case POSTGRESQL -> new PostgresJobStatements(db, rows);
        };
    }

    /**
     * Inserts a new job: given to {@code robot} at once when that robot can be claimed (exactly as
     * {@link JobStore#assignAll} claims it: still connected under its session, idle, not paused), queued otherwise.
     * Atomic. Throws a unique violation when the job's idempotency key is taken (see
     * {@link Database#isUniqueViolation}), with nothing written. Returns {@code ASSIGNED} or {@code ROBOT_UNAVAILABLE}
     * (queued; also when {@code robot} is null).
     */
    JobStore.Assignment insert(Job job, JobStore.Pair robot);

    /**
     * Inserts a new job and, atomically with it, gives it to an idle robot that can run it, connected to a node
     * other than {@code exceptNodeId}, and wanted by no queued job (the robots of {@code exceptNodeId} are its
     * in-memory registry's to give). Returns where the job went; queued when no such robot is idle. Throws as
     * {@link #insert} does.
     */
    JobStore.Placement insertForOtherNode(Job job, String exceptNodeId);

    /**
     * Applies {@code event} to the job {@code sessionId} holds, atomically: {@link Transition} decides the outcome,
     * which is written guarded by the session (still holding the job: assigned or running), and the robot is freed.
     * Returns the job as written; empty when the session no longer holds the job. {@code acceptedAt}: when the agent
     * accepted the job, if that is not written yet; the job is then settled as the running job it is, and its
     * {@code started_at} written with the outcome.
     */
    Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant now, Instant acceptedAt);
}
