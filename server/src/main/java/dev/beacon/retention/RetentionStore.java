package dev.beacon.retention;

import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.Sql;

/**
 * The SQL that prunes history: one bounded statement per call, which deletes (or, for job output, clears) at most
 * {@code limit} rows older than a cutoff. Each statement is its own short transaction, so no lock is held for long and
 * other writers (on SQLite: the one writer's queue) get their turn between batches. Stateless; thread-safe.
 *
 * <p>Every statement picks its rows in a subquery with {@code LIMIT} (neither database has {@code DELETE … LIMIT} in
 * common) and repeats the conditions outside it: on PostgreSQL a row another transaction changed between the
 * subquery's snapshot and the delete is checked again against the outer conditions, so a row that stopped qualifying
 * is left alone. Running a statement twice, or on two nodes at once, changes nothing more.
 *
 * <p>The plans must not depend on statistics (a fresh database has none, and PostgreSQL caches a generic plan that
 * knows neither the cutoff nor the limit). Where a time column has its index (V10), the subquery takes the oldest
 * rows {@code ORDER BY} that column, so only a walk of that index can stop after {@code limit} rows. On PostgreSQL the
 * rows picked are matched as {@code id = ANY (ARRAY(…))}, one primary-key probe each, where {@code id IN (…)} was
 * planned as a hash join over the whole table. {@code store/QueryPlanTest} checks these plans.
 */
final class RetentionStore {
    /**
     * Finished is everything but these: a job that is queued, assigned or running is never touched. Written as NOT IN
     * so that neither planner walks the status index for it; the time column's index picks the rows.
     */
    private static final String FINISHED = "status NOT IN ('queued', 'assigned', 'running')";

    private final Database db;

    RetentionStore(Database db) {
        this.db = db;
    }

    /** Prunes at most {@code limit} rows of {@code kind} that stopped mattering before {@code cutoffMillis}; returns how many. */
    int prune(Kind kind, long cutoffMillis, int limit) {
        return db.write(Database.Commit.ONE_STATEMENT, tx -> switch (kind) {
            case JOBS -> Sql.update(tx.connection(), "DELETE FROM jobs WHERE " + idIn("""
                            SELECT id FROM jobs WHERE finished_at < ? AND %s ORDER BY finished_at LIMIT ?""".formatted(FINISHED))
                            + " AND finished_at < ? AND " + FINISHED,
                    cutoffMillis, limit, cutoffMillis);
            case JOB_OUTPUT -> Sql.update(tx.connection(), "UPDATE jobs SET output = NULL WHERE " + idIn("""
                            SELECT id FROM jobs WHERE finished_at < ? AND output IS NOT NULL AND %s ORDER BY finished_at LIMIT ?"""
                            .formatted(FINISHED)) + " AND finished_at < ? AND " + FINISHED,
                    cutoffMillis, limit, cutoffMillis);
            case AUDIT -> Sql.update(tx.connection(), "DELETE FROM audit_events WHERE " + idIn("""
                            SELECT id FROM audit_events WHERE created_at < ? ORDER BY created_at LIMIT ?""")
                            + " AND created_at < ?",
                    cutoffMillis, limit, cutoffMillis);
            case CONNECTIONS -> Sql.update(tx.connection(), "DELETE FROM robot_connections WHERE " + idIn("""
                            SELECT id FROM robot_connections WHERE disconnected_at < ? ORDER BY disconnected_at LIMIT ?""")
                            + " AND disconnected_at < ?",
                    cutoffMillis, limit, cutoffMillis);
            // A token stopped working when it was revoked, or when its rotation expired unacknowledged (expires_at is
            // cleared once acknowledged, so a past expires_at on a token never revoked means exactly that).
            case ROBOT_TOKENS -> Sql.update(tx.connection(), "DELETE FROM robot_tokens WHERE " + idIn("""
                            SELECT id FROM robot_tokens WHERE revoked_at < ? OR (revoked_at IS NULL AND expires_at < ?) LIMIT ?""")
                            + " AND (revoked_at < ? OR (revoked_at IS NULL AND expires_at < ?))",
                    cutoffMillis, cutoffMillis, limit, cutoffMillis, cutoffMillis);
            // robots.enrollment_key_id references the key: a key any robot (removed ones too) enrolled with is kept.
            case ENROLLMENT_KEYS -> Sql.update(tx.connection(), "DELETE FROM enrollment_keys WHERE " + idIn("""
                            SELECT k.id FROM enrollment_keys k
                            WHERE (k.revoked_at < ? OR k.expires_at < ?)
                              AND NOT EXISTS (SELECT 1 FROM robots r WHERE r.enrollment_key_id = k.id)
                            LIMIT ?""") + " AND (revoked_at < ? OR expires_at < ?)"
                            + " AND NOT EXISTS (SELECT 1 FROM robots r WHERE r.enrollment_key_id = enrollment_keys.id)",
                    cutoffMillis, cutoffMillis, limit, cutoffMillis, cutoffMillis);
        });
    }

    /**
     * Deletes at most {@code limit} chunks of live job output ({@code job_output}) stored before {@code cutoffMillis},
     * picked by the {@code at} index, oldest first; chunks of a job that is still queued, assigned or running are
     * kept (a job running longer than the retention keeps its start), chunks of a job already pruned go. The table has
     * no single id column: the rows are matched by PostgreSQL's {@code ctid} (chunks are never updated, so it is
     * stable) and SQLite's {@code rowid}.
     */
    int pruneLiveOutput(long cutoffMillis, int limit) {
        String unfinished = "NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_output.job_id AND j.status IN ('queued', 'assigned', 'running'))";
        String rowId = db.dialect() == Dialect.POSTGRESQL ? "ctid" : "rowid";
        String picked = "SELECT " + rowId + " FROM job_output WHERE at < ? AND " + unfinished + " ORDER BY at LIMIT ?";
        String match = db.dialect() == Dialect.POSTGRESQL ? "ctid = ANY (ARRAY(" + picked + "))" : "rowid IN (" + picked + ")";
        return db.write(Database.Commit.ONE_STATEMENT, tx -> Sql.update(tx.connection(),
                "DELETE FROM job_output WHERE " + match + " AND at < ? AND " + unfinished, cutoffMillis, limit, cutoffMillis));
    }

    /** {@code id IN (subquery)}; on PostgreSQL {@code id = ANY (ARRAY(subquery))}, so each id is a primary-key probe. */
    private String idIn(String subquery) {
        return db.dialect() == Dialect.POSTGRESQL ? "id = ANY (ARRAY(" + subquery + "))" : "id IN (" + subquery + ")";
    }
}
