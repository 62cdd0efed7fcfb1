package dev.beacon.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Rows;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * A {@code jobs} row and its JSON columns: reads a row into a {@link Job} and writes JSON values for statements.
 * Shared by {@link JobStore} and both {@link JobStatements}. Thread-safe (the mapper is).
 */
final class JobRows {
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final ObjectMapper json;

    JobRows(ObjectMapper json) {
        this.json = json;
    }

    Job job(ResultSet rs) throws SQLException {
        int exitCode = rs.getInt("exit_code");
        Integer exit = rs.wasNull() ? null : exitCode;
        String output = rs.getString("output");
        return new Job(rs.getString("id"), rs.getString("org_id"), rs.getString("kind"), tree(rs.getString("payload")),
                new Target(rs.getString("target_robot_id"), rs.getString("target_fleet_id"), rs.getString("target_site_id"),
                        read(rs.getString("target_capabilities"), STRING_LIST), read(rs.getString("target_labels"), STRING_MAP)),
                rs.getInt("priority"), rs.getInt("timeout_s"), rs.getInt("max_attempts"), rs.getInt("attempts"), JobStatus.of(rs.getString("status")),
                rs.getString("robot_id"), rs.getString("session_id"), rs.getString("idempotency_key"),
                output == null ? null : tree(output), exit, rs.getString("error"), rs.getString("created_by"),
                Rows.instant(rs, "created_at"), Rows.instant(rs, "queued_at"), Rows.instant(rs, "assigned_at"),
                Rows.instant(rs, "started_at"), Rows.instant(rs, "finished_at"), Rows.instant(rs, "cancel_requested_at"),
                Rows.instant(rs, "updated_at"));
    }

    /** {@code value} as JSON text for a column. */
    String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON trees, lists and maps always serialize", e);
        }
    }

    private JsonNode tree(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jobs row holds JSON Beacon did not write", e);
        }
    }

    private <T> T read(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jobs row holds JSON Beacon did not write: " + text, e);
        }
    }
}
