package dev.beacon.dashboard;

import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStatus;
import java.time.Instant;
import java.util.Optional;

/**
 * Where a machine stands as the dashboard shows it, derived from the stored status, the pause flag,
 * {@code last_seen_at} and the connection history: the API's {@code status} keeps its three values, and these states
 * exist on the pages only. {@link #UNRESPONSIVE} is a connected machine whose last heartbeat is older than two
 * heartbeat intervals (its socket is still open, but the agent stopped talking: frozen, or its network is gone);
 * {@link #NEVER} is a machine that enrolled but never connected. Each machine is in exactly one state, so the tabs of
 * the Machines page add up to its total. Public for the templates. Immutable.
 */
public enum MachineState {
    ONLINE("online", "Online"),
    BUSY("busy", "Busy"),
    UNRESPONSIVE("unresponsive", "Unresponsive"),
    OFFLINE("offline", "Offline"),
    NEVER("never", "Never connected"),
    PAUSED("paused", "Paused");

    /**
     * The state as one SQL expression over {@code robots} (aliased {@code r}), with one parameter: the oldest
     * {@code last_seen_at} (epoch ms) a connected machine may have and still count as responsive. The order of the
     * branches is the precedence: paused first (the operator's word wins), then the connection facts. A machine that
     * ever connected has a {@code last_seen_at} (a connect and a disconnect both write it), so the history is only
     * asked about machines without one.
     */
    static final String SQL = """
            CASE WHEN r.paused_at IS NOT NULL THEN 'paused'
                 WHEN r.status = 'offline' AND r.last_seen_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM robot_connections c WHERE c.robot_id = r.id) THEN 'never'
                 WHEN r.status = 'offline' THEN 'offline'
                 WHEN r.last_seen_at IS NULL OR r.last_seen_at < ? THEN 'unresponsive'
                 ELSE r.status END""";

    private final String tag;
    private final String label;

    MachineState(String tag, String label) {
        this.tag = tag;
        this.label = label;
    }

    /** The name in query strings, CSS classes and {@code data-status} attributes. */
    public String tag() {
        return tag;
    }

    /** The words the pages show. */
    public String label() {
        return label;
    }

    public static Optional<MachineState> fromTag(String tag) {
        for (MachineState state : values()) {
            if (state.tag.equals(tag)) {
                return Optional.of(state);
            }
        }
        return Optional.empty();
    }

    /** The state of one machine, by the same rules as {@link #SQL}; {@code everConnected} from its connection history. */
    static MachineState of(Robot robot, boolean everConnected, Instant responsiveSince) {
        if (robot.isPaused()) {
            return PAUSED;
        }
        if (robot.status() == RobotStatus.OFFLINE) {
            return robot.lastSeenAt() == null && !everConnected ? NEVER : OFFLINE;
        }
        if (robot.lastSeenAt() == null || robot.lastSeenAt().isBefore(responsiveSince)) {
            return UNRESPONSIVE;
        }
        return robot.status() == RobotStatus.BUSY ? BUSY : ONLINE;
    }
}
