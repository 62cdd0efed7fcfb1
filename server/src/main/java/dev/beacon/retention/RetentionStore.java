package dev.beacon.retention;

import dev.beacon.store.Database;
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
            case JOBS -> Sql.update(tx.connection(), """
                    DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_at < ? AND %s LIMIT ?)
                      AND finished_at < ? AND %s""".formatted(FINISHED, FINISHED), cutoffMillis, limit, cutoffMillis);
            case JOB_OUTPUT -> Sql.update(tx.connection(), """
                    UPDATE jobs SET output = NULL WHERE id IN (
                        SELECT id FROM jobs WHERE finished_at < ? AND output IS NOT NULL AND %s LIMIT ?)
                      AND finished_at < ? AND %s""".formatted(FINISHED, FINISHED), cutoffMillis, limit, cutoffMillis);
            case AUDIT -> Sql.update(tx.connection(), """
                    DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE created_at < ? LIMIT ?)
                      AND created_at < ?""", cutoffMillis, limit, cutoffMillis);
            case CONNECTIONS -> Sql.update(tx.connection(), """
                    DELETE FROM robot_connections WHERE id IN (
                        SELECT id FROM robot_connections WHERE disconnected_at < ? LIMIT ?)
                      AND disconnected_at < ?""", cutoffMillis, limit, cutoffMillis);
            // A token stopped working when it was revoked, or when its rotation expired unacknowledged (expires_at is
            // cleared once acknowledged, so a past expires_at on a token never revoked means exactly that).
            case ROBOT_TOKENS -> Sql.update(tx.connection(), """
                    DELETE FROM robot_tokens WHERE id IN (
                        SELECT id FROM robot_tokens WHERE revoked_at < ? OR (revoked_at IS NULL AND expires_at < ?) LIMIT ?)
                      AND (revoked_at < ? OR (revoked_at IS NULL AND expires_at < ?))""",
                    cutoffMillis, cutoffMillis, limit, cutoffMillis, cutoffMillis);
            // robots.enrollment_key_id references the key: a key any robot (removed ones too) enrolled with is kept.
            case ENROLLMENT_KEYS -> Sql.update(tx.connection(), """
                    DELETE FROM enrollment_keys WHERE id IN (
                        SELECT k.id FROM enrollment_keys k
                        WHERE (k.revoked_at < ? OR k.expires_at < ?)
                          AND NOT EXISTS (SELECT 1 FROM robots r WHERE r.enrollment_key_id = k.id)
                        LIMIT ?)
                      AND (revoked_at < ? OR expires_at < ?)
                      AND NOT EXISTS (SELECT 1 FROM robots r WHERE r.enrollment_key_id = enrollment_keys.id)""",
                    cutoffMillis, cutoffMillis, limit, cutoffMillis, cutoffMillis);
        });
    }
}
