package dev.beacon.robots;

import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.errors.Conflict;
import dev.beacon.errors.NotFound;
import dev.beacon.store.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** The rules of the machine registry: removing, pausing and re-keying robots. Thread-safe. */
public final class RobotService {
    private final Database db;
    private final RobotStore robots;
    private final AuditLog audit;
    private final LiveConnections connections;
    private final Clock clock;
    private final FleetEvents events;
    private final LabelStore labels;

    /** {@code events} hears of every robot removed, revoked or resumed, after commit. */
    public RobotService(Database db, RobotStore robots, AuditLog audit, LiveConnections connections, Clock clock,
                        FleetEvents events) {
        this.events = events;
        this.db = db;
        this.robots = robots;
        this.audit = audit;
        this.connections = connections;
        this.clock = clock;
        this.labels = new LabelStore(robots);
    }

    /** A robot of the organization that is not removed, or 404. */
    public Robot get(String orgId, String robotId) {
        return robots.byId(orgId, robotId).filter(robot -> robot.removedAt() == null).orElseThrow(() -> new NotFound("robot"));
    }

    /** Unregisters the robot: its tokens are revoked, its socket closed with {@code bye: removed}, its history kept. */
    public void remove(String orgId, String robotId, Actor actor) {
        Instant now = clock.instant();
        boolean removed = db.write(tx -> {
            boolean changed = robots.remove(tx, orgId, robotId, now);
            if (changed) {
                audit.append(tx, new AuditLog.Entry(orgId, actor, "robot.removed", "robot", robotId, null));
            }
            return changed;
        });
        if (!removed) {
            throw new NotFound("robot");
        }
        events.robotRemoved(robotId);
    }

    /** Revokes the robot's tokens (it stays registered) and closes its socket with {@code bye: revoked}. */
    public Robot revokeToken(String orgId, String robotId, Actor actor) {
        get(orgId, robotId);
        Instant now = clock.instant();
        db.write(tx -> {
            robots.revokeTokens(tx.connection(), robotId, now);
            audit.append(tx, new AuditLog.Entry(orgId, actor, "robot.token_revoked", "robot", robotId, null));
            return null;
        });
        events.robotsRevoked(List.of(robotId));
        return get(orgId, robotId);
    }

    /** Sends the connected agent a new token; a conflict when the robot is not connected (the agent must save it). */
    public void rotateToken(String orgId, String robotId, Actor actor) {
        if (get(orgId, robotId).status() == RobotStatus.OFFLINE) {
            throw robotOffline(); // no node holds its connection: asking the others would only wait for silence
        }
        switch (connections.requestTokenRotation(robotId)) {
            case SENT -> {
            }
            case OFFLINE -> throw robotOffline();
            case UNANSWERED -> throw new Conflict("robot_node_unreachable",
                    "The robot's agent is connected to another server node, which did not answer within 2 s; no new token "
                            + "was sent. Try again in a few seconds.");
            case PENDING -> throw new Conflict("token_rotation_pending",
                    "A token rotation of this robot awaits its agent's acknowledgement; try again once the agent has "
                            + "acknowledged it, or after it expires (at most 2 minutes).");
        }
        audit.append(new AuditLog.Entry(orgId, actor, "robot.token_rotation_requested", "robot", robotId, null));
    }

    private static Conflict robotOffline() {
        return new Conflict("robot_offline", "The robot is not connected; token rotation needs its agent online to save the new token.");
    }

    /** Pauses (expected offline or maintenance: no jobs) or resumes the robot. */
    public Robot setPaused(String orgId, String robotId, boolean paused, Actor actor) {
        if (!robots.setPaused(orgId, robotId, paused ? clock.instant() : null)) {
            throw new NotFound("robot");
        }
        audit.append(new AuditLog.Entry(orgId, actor, paused ? "robot.paused" : "robot.resumed", "robot", robotId, null));
        Robot robot = get(orgId, robotId);
        if (!paused) {
            events.robotResumed(robot);
        }
        return robot;
    }

    /**
     * Changes the robot's operator labels: {@code change} gets the labels as stored and returns the new set (a
     * replacement, or one label added or removed); it runs inside the transaction, under the robot's row lock, so two
     * changes at once never lose one another. Audited as {@code robot.labels_set} with the old and new sets when
     * anything changed. The dispatcher reads the robot's facts again afterwards: a job waiting for a label may now
     * run on it. Returns the robot as it is now; 404 when it is removed or not in the organization.
     */
    public Robot changeOperatorLabels(String orgId, String robotId, UnaryOperator<OperatorLabels> change, Actor actor) {
        boolean found = db.write(tx -> {
            Map<String, String> stored = labels.readForUpdate(tx.connection(), orgId, robotId);
            if (stored == null) {
                return false;
            }
            OperatorLabels before = new OperatorLabels(stored);
            OperatorLabels after = change.apply(before);
            if (!after.equals(before)) {
                labels.write(tx.connection(), robotId, after);
                audit.append(tx, new AuditLog.Entry(orgId, actor, "robot.labels_set", "robot", robotId,
                        "operator labels: " + after.describe() + " (were: " + before.describe() + ")"));
            }
            return true;
        });
        if (!found) {
            throw new NotFound("robot");
        }
        Robot robot = get(orgId, robotId);
        events.robotLabelsChanged(robot);
        return robot;
    }
}
