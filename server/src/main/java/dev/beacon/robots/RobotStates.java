package dev.beacon.robots;

import dev.beacon.store.Sql;
import java.sql.Connection;
import java.time.Instant;

/**
 * The one owner of a robot's state columns — {@code status}, {@code session_id}, {@code node_id},
 * {@code current_job_id}, {@code paused_at} — and of every transition between them: connect, disconnect, claim for a
 * job, release, pause, remove, the resets at start and the takeover of a dead node's robots. {@code node_id} is set
 * and cleared together with {@code session_id}: the node that holds the live session. Each transition is one guarded UPDATE run on the caller's connection, inside the
 * caller's transaction, so it commits or rolls back with the rest of the caller's work. Stateless; any thread.
 */
public final class RobotStates {
    /**
     * Claim for a job: marks robot {@code ?2} busy with job {@code ?1} if it is still connected under session
     * {@code ?3}, idle and not paused. Parameters: job id, robot id, session id. Public so that a dialect can embed it in
     * a larger statement (see {@code PostgresJobStatements}).
     */
    public static final String CLAIM_FOR_JOB = """
            UPDATE robots SET status = 'busy', current_job_id = ?
            WHERE id = ? AND session_id = ? AND current_job_id IS NULL AND paused_at IS NULL AND removed_at IS NULL""";

    private RobotStates() {
    }

    /** Claims the robot for {@code jobId} (see {@link #CLAIM_FOR_JOB}); false when it cannot be claimed. */
    public static boolean claimForJob(Connection connection, String robotId, String sessionId, String jobId) {
        return Sql.update(connection, CLAIM_FOR_JOB, jobId, robotId, sessionId) == 1;
    }

    /**
     * Release from {@code jobId}, if the robot still holds it: back to idle, a robot still connected becomes
     * {@code online}, one already offline stays so.
     */
    public static void releaseFromJob(Connection connection, String robotId, String jobId) {
        Sql.update(connection, """
                        UPDATE robots SET current_job_id = NULL, status = CASE WHEN status = 'busy' THEN 'online' ELSE status END
                        WHERE id = ? AND current_job_id = ?""",
                robotId, jobId);
    }

    /**
     * Connect: the robot is online under {@code sessionId}, held by node {@code nodeId}, with what its agent's {@code hello} says about the machine
     * ({@code capabilities} and {@code labels} as JSON text). A removed robot is left as it is.
     */
    public static void connect(Connection connection, String robotId, String sessionId, String nodeId, String ip,
                               PresenceStore.Hello hello, String capabilities, String labels, Instant now) {
        Sql.update(connection, """
                        UPDATE robots SET status = 'online', session_id = ?, node_id = ?, last_seen_at = ?, ip = ?,
                               hostname = COALESCE(?, hostname), os = COALESCE(?, os), arch = COALESCE(?, arch),
                               agent_version = COALESCE(?, agent_version), capabilities = ?, labels = ?
                        WHERE id = ? AND removed_at IS NULL""",
                sessionId, nodeId, now.toEpochMilli(), ip, hello.hostname(), hello.os(), hello.arch(), hello.agentVersion(),
                capabilities, labels, robotId);
    }

    /** Disconnect: offline, if {@code sessionId} still speaks for the robot. Returns whether it did. */
    public static boolean disconnect(Connection connection, String robotId, String sessionId, Instant now) {
        return Sql.update(connection, DISCONNECT, now.toEpochMilli(), robotId, sessionId) == 1;
    }

    /** {@link #disconnect}'s statement; parameters: now (epoch ms), robot id, session id. */
    static final String DISCONNECT = "UPDATE robots SET status = 'offline', session_id = NULL, node_id = NULL, last_seen_at = ? "
            + "WHERE id = ? AND session_id = ?";

    /** Pause ({@code pausedAt} set) or resume (null); false when the robot is not in this org or removed. */
    public static boolean pause(Connection connection, String orgId, String robotId, Instant pausedAt) {
        return Sql.update(connection, "UPDATE robots SET paused_at = ? WHERE org_id = ? AND id = ? AND removed_at IS NULL",
                pausedAt == null ? null : pausedAt.toEpochMilli(), orgId, robotId) == 1;
    }

    /** Remove: removed and offline, without a session; false when already removed or unknown. */
    public static boolean remove(Connection connection, String orgId, String robotId, Instant now) {
        return Sql.update(connection, """
                        UPDATE robots SET removed_at = ?, status = 'offline', session_id = NULL, node_id = NULL
                        WHERE org_id = ? AND id = ? AND removed_at IS NULL""",
                now.toEpochMilli(), orgId, robotId) == 1;
    }

    /**
     * The nodes whose lease is current, as SQL: {@code ?} is the oldest heartbeat time (epoch ms) a live node may have.
     * A robot held by any other node (dead, stopped, reaped, unknown) or by none has no live session.
     */
    public static final String LIVE_NODES = """
            SELECT id FROM nodes WHERE stopped_at IS NULL AND reaped_at IS NULL AND last_heartbeat_at >= ?""";

    /**
     * At start: every robot that no live node holds goes offline without a session; robots held by live nodes stay
     * as they are. Returns how many rows changed.
     */
    public static int disconnectAbandoned(Connection connection, long liveSince) {
        return Sql.update(connection, "UPDATE robots SET status = 'offline', session_id = NULL, node_id = NULL "
                + "WHERE (session_id IS NOT NULL OR status <> 'offline') "
                + "AND (node_id IS NULL OR node_id NOT IN (" + LIVE_NODES + "))", liveSince);
    }

    /**
     * At start: every robot that no live node holds keeps no current job; a leftover {@code busy} becomes
     * {@code offline}. Returns how many rows changed.
     */
    public static int releaseAbandoned(Connection connection, long liveSince) {
        return Sql.update(connection, "UPDATE robots SET current_job_id = NULL, status = CASE WHEN status = 'busy' THEN 'offline' ELSE status END "
                + "WHERE (current_job_id IS NOT NULL OR status = 'busy') "
                + "AND (node_id IS NULL OR node_id NOT IN (" + LIVE_NODES + "))", liveSince);
    }

    /** Takeover: every robot node {@code nodeId} held goes offline without a session. Returns how many did. */
    public static int disconnectNode(Connection connection, String nodeId, Instant now) {
        return Sql.update(connection, "UPDATE robots SET status = 'offline', session_id = NULL, node_id = NULL, last_seen_at = ? "
                + "WHERE node_id = ?", now.toEpochMilli(), nodeId);
    }
}
