package dev.beacon.robots;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Sql;
import java.sql.Connection;
import java.util.Map;

/**
 * SQL for the labels an operator sets on a robot ({@code robots.operator_labels}, V14). The agent's own labels are
 * written by enrollment and {@code hello} into {@code robots.labels} ({@link RobotStates#connect}), never here, and
 * this never writes them: the two sets cannot overwrite each other. Thread-safe.
 */
final class LabelStore {
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    /** Plain JSON of a map of strings: nothing here needs the server's mapper settings. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RobotStore robots;

    LabelStore(RobotStore robots) {
        this.robots = robots;
    }

    /**
     * The operator labels of a robot of the organization that is not removed, read under the robot's row lock (see
     * {@link RobotStore#lock}), so that a change computed from them and written in the same transaction cannot lose a
     * concurrent change; null when there is no such robot.
     */
    Map<String, String> readForUpdate(Connection connection, String orgId, String robotId) {
        robots.lock(connection, robotId);
        String text = Sql.first(connection, "SELECT operator_labels FROM robots WHERE org_id = ? AND id = ? AND removed_at IS NULL",
                rs -> rs.getString(1), orgId, robotId);
        if (text == null) {
            return null;
        }
        try {
            return JSON.readValue(text, STRING_MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("robots.operator_labels holds JSON Beacon did not write: " + text, e);
        }
    }

    /** Replaces the robot's operator labels. */
    void write(Connection connection, String robotId, OperatorLabels labels) {
        try {
            Sql.update(connection, "UPDATE robots SET operator_labels = ? WHERE id = ?", JSON.writeValueAsString(labels.values()), robotId);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serializes", e);
        }
    }
}
