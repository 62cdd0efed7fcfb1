package dev.beacon.enrollment;

import dev.beacon.audit.AuditLog;
import dev.beacon.robots.Registration;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.Ids;
import dev.beacon.store.Sql;
import dev.beacon.tokens.Secret;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The write of a claim whose key was found usable: the robot (new, or re-keyed with {@code replace}), its token, the
 * audit event and the key's use, in one transaction committed together with other claims. The claim's hot path, so
 * plain JDBC. Thread-safe.
 *
 * <p>On PostgreSQL a claim for a free name is ONE statement (data-modifying CTEs: the robot's insert with its name
 * check, the token, the audit event), where it took five round trips with its savepoint; it needs no savepoint because
 * it writes nothing before it can be refused (see {@link Database.Commit#GROUPED_WITHOUT_SAVEPOINT}). On SQLite, which
 * runs in-process and has no such CTEs, the same rows are three statements.
 */
final class ClaimTransaction {
    /**
     * After {@link RobotStore#INSERT_IF_NAME_FREE} as CTE {@code robot} (with {@code RETURNING id}): the token
     * ({@link RobotStore#insertToken}'s row) and the audit event ({@link AuditLog#append}'s row), both only when the
     * robot was inserted; answers whether it was. The foreign key from the token to the robot is checked at the end of
     * the statement, when the robot's row exists.
     */
    private static final String TOKEN_AND_AUDIT_AFTER_ROBOT = """
            , token AS (
                INSERT INTO robot_tokens (id, robot_id, token_hash, prefix, created_at)
                SELECT ?, id, ?, ?, ? FROM robot),
            audit AS (
                INSERT INTO audit_events (id, org_id, actor_type, actor_id, action, target_type, target_id, ip, detail, created_at)
                SELECT ?, ?, 'anonymous', NULL, 'robot.enrolled', 'robot', id, ?, ?, ? FROM robot)
            SELECT COUNT(*) FROM robot""";
    /** {@link RobotStore#insertToken}'s row, with the token hashed beforehand. */
    private static final String TOKEN_ROW = "INSERT INTO robot_tokens (id, robot_id, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)";
    /** {@link AuditLog#append}'s row for an anonymous actor, with its id and time taken beforehand. */
    private static final String AUDIT_ROW = """
            INSERT INTO audit_events (id, org_id, actor_type, actor_id, action, target_type, target_id, ip, detail, created_at)
            VALUES (?, ?, 'anonymous', NULL, ?, 'robot', ?, ?, ?, ?)""";
    private static final String CLAIM_NEW_NAME = "WITH robot AS (" + RobotStore.INSERT_IF_NAME_FREE + " RETURNING id)"
            + TOKEN_AND_AUDIT_AFTER_ROBOT;

    private final Database db;
    private final EnrollmentStore keys;
    private final RobotStore robots;
    private final Ids ids;
    private final Clock clock;

    ClaimTransaction(Database db, EnrollmentStore keys, RobotStore robots, Ids ids, Clock clock) {
        this.db = db;
        this.keys = keys;
        this.robots = robots;
        this.ids = ids;
        this.clock = clock;
    }

    /** Thrown inside the claim transaction to roll it back with a refusal. */
    static final class Rollback extends RuntimeException {
        final Claim.Refused refused;

        Rollback(Claim.Refused refused) {
            super(null, null, false, false);
            this.refused = refused;
        }
    }

    /**
     * Runs the claim's transaction for a key found usable at {@code now}; refuses it when the name is taken (and may not
     * be replaced) or when the key was spent, revoked or expired meanwhile.
     */
    Claim run(EnrollmentStore.ClaimTarget target, EnrollmentService.ClaimRequest request, Instant now) {
        EnrollmentKey key = target.key();
        Registration registration = request.registration();
        // Everything that needs no database is done here, on the caller's thread: on SQLite the transaction runs on the
        // one writer thread, where every microsecond is taken from every other claim.
        String newRobotId = ids.next("rob");
        Secret token = TokenFormat.generate(TokenKind.ROBOT);
        long at = now.toEpochMilli();
        List<Object> tokenRow = List.of(ids.next("rtk"), token.hash(), token.masked(), at);
        String detail = "name=" + registration.name() + " key=" + key.id() + " prefix=" + key.keyPrefix();
        List<Object> auditRow = Arrays.asList(ids.next("aud"), key.orgId(), registration.ip(), detail, clock.millis());
        List<Object> robotRow = robots.insertParams(newRobotId, key.orgId(), key.siteId(), key.fleetId(), key.id(), registration, now);
        boolean oneStatement = db.dialect() == Dialect.POSTGRESQL;
        Object[] claimNewName = oneStatement ? concat(robotRow, tokenRow, auditRow) : null;
        try {
            // Claims race for the key's row, so they are committed in groups (on SQLite every write already is).
            return db.write(Database.Commit.GROUPED_WITHOUT_SAVEPOINT, tx -> {
                Connection connection = tx.connection();
                String robotId = newRobotId;
                RobotStore.NameHolder holder = null;
                boolean inserted = oneStatement ? Sql.first(connection, CLAIM_NEW_NAME, rs -> rs.getInt(1), claimNewName) == 1
                        : Sql.update(connection, RobotStore.INSERT_IF_NAME_FREE, robotRow.toArray()) == 1;
                if (!inserted) {
                    // Taken, by a robot committed before the insert or enrolled earlier in this batch; nothing is written
                    // yet, so refusing needs no savepoint. Only on PostgreSQL can it be gone by now (removed meanwhile):
                    // the name was taken when the claim looked.
                    holder = robots.liveByName(connection, key.orgId(), registration.name())
                            .orElseThrow(() -> new Rollback(nameTaken(registration.name())));
                    checkReplaceable(holder, key, request.replace());
                    robotId = holder.id();
                    robots.revokeTokens(connection, robotId, now);
                    robots.reenroll(connection, robotId, key.id(), registration, now);
                }
                if (!inserted || !oneStatement) {
                    Sql.update(connection, TOKEN_ROW, tokenRow.get(0), robotId, tokenRow.get(1), tokenRow.get(2), at);
                    Sql.update(connection, AUDIT_ROW, auditRow.get(0), auditRow.get(1), holder != null ? "robot.reenrolled" : "robot.enrolled",
                            robotId, auditRow.get(2), auditRow.get(3), auditRow.get(4));
                }
                // The use is taken last: on PostgreSQL this UPDATE locks the key's row until commit, and every other
                // transaction on the key (other nodes' too) queues behind that lock, so it is held for as short a time as
                // possible — in a group commit, by one UPDATE for the whole batch just before its commit. Inside a batch
                // this returns true at once; only a claim run alone (the batch found too few uses) can be refused here,
                // and it rolls back its own transaction.
                if (!tx.takeLast("enrollment_keys:" + key.id(), (c, count) -> keys.takeUses(c, key.id(), count, now))) {
                    throw new Rollback(EnrollmentService.refusalFor(keys.current(connection, key.id()), now));
                }
                return new Claim.Enrolled(robotId, token, key.orgId(), target.orgName(), key.siteId(), target.siteName(),
                        key.fleetId(), target.fleetName(), holder != null);
            });
        } catch (Rollback rollback) {
            return rollback.refused;
        }
    }

    @SafeVarargs
    private static Object[] concat(List<Object>... lists) {
        List<Object> all = new ArrayList<>();
        for (List<Object> list : lists) {
            all.addAll(list);
        }
        return all.toArray();
    }

    private static void checkReplaceable(RobotStore.NameHolder holder, EnrollmentKey key, boolean replace) {
        if (!replace) {
            throw new Rollback(nameTaken(holder.name()));
        }
        if (holder.isConnected()) {
            throw new Rollback(new Claim.Refused(Refusal.NAME_TAKEN, "Robot " + holder.name()
                    + " is connected right now; stop that agent before replacing it."));
        }
        if (!holder.fleetId().equals(key.fleetId())) {
            throw new Rollback(new Claim.Refused(Refusal.NAME_TAKEN, "Robot " + holder.name()
                    + " belongs to another fleet; --replace only re-keys a robot within the key's fleet. Choose another name."));
        }
    }

    private static Claim.Refused nameTaken(String name) {
        return new Claim.Refused(Refusal.NAME_TAKEN, "A robot named " + name
                + " already exists in this organization. Choose another --name, or pass --replace to re-key that robot.");
    }
}
