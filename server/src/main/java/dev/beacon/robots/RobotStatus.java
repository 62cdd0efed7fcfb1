package dev.beacon.robots;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * Where a robot stands, as stored in {@code robots.status} and shown by the API: {@code online} (connected, idle),
 * {@code busy} (connected, holding a job) or {@code offline}. Paused is not a status but a flag beside it
 * ({@link Robot#isPaused()}). The SQL of {@link RobotStates} writes these wire names as literals.
 */
public enum RobotStatus {
    ONLINE("online"),
    BUSY("busy"),
    OFFLINE("offline");

    private final String wireName;

    RobotStatus(String wireName) {
        this.wireName = wireName;
    }

    /** The name in the database and in JSON. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The status with this wire name, or empty for anything else (such as a bad query parameter). */
    public static Optional<RobotStatus> fromWire(String wireName) {
        for (RobotStatus status : values()) {
            if (status.wireName.equals(wireName)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }

    /** The status with this wire name, read from the database; anything else is a corrupt row. */
    public static RobotStatus of(String wireName) {
        return fromWire(wireName).orElseThrow(() -> new IllegalStateException("unknown robot status '" + wireName + "'"));
    }

    /** Whether an agent is connected (online or busy). */
    public boolean isConnected() {
        return this != OFFLINE;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
