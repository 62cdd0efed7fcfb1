package dev.beacon.joboutput;

import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL of live job output ({@code job_output}, V13): chunks written in batches, read in order after a cursor, and
 * how much of a job's output is stored. Both databases run the
 * same statements ({@code ON CONFLICT DO NOTHING} is SQLite 3.24+ and PostgreSQL 9.5+). Stateless; thread-safe.
 */
final class JobOutputStore {
    private final Database db;

    JobOutputStore(Database db) {
        this.db = db;
    }

    /** How much of a job's output is stored (in characters, all attempts) and whether its truncation mark is. */
    record Stored(long chars, boolean truncated) {
    }

    Stored stored(String jobId) {
        return db.read(tx -> Sql.first(tx.connection(), """
                SELECT COALESCE(SUM(LENGTH(data)), 0), COUNT(CASE WHEN stream = 'truncated' THEN 1 END)
                FROM job_output WHERE job_id = ?""", rs -> new Stored(rs.getLong(1), rs.getLong(2) > 0), jobId));
    }

    /**
     * Writes {@code chunks} in one transaction, as one JDBC batch. A chunk already stored (the same job, attempt, seq
     * and stream: a frame the agent sent twice) is left as it was.
     */
    void insert(List<OutputChunk> chunks) {
        if (chunks.isEmpty()) {
            return;
        }
        db.write(tx -> {
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO job_output (job_id, attempt, seq, stream, data, at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (job_id, attempt, seq, stream) DO NOTHING""")) {
                for (OutputChunk chunk : chunks) {
                    insert.setString(1, chunk.jobId());
                    insert.setInt(2, chunk.attempt());
                    insert.setInt(3, chunk.seq());
                    insert.setString(4, chunk.stream());
                    insert.setString(5, chunk.data());
                    insert.setLong(6, chunk.at());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    /**
     * The job's chunks after {@code cursor}, in order (attempt, then seq; a truncation mark after the data of its seq).
     * Unbounded: what one job may store is capped ({@code --job-output-cap}).
     */
    List<OutputChunk> after(String jobId, OutputCursor cursor) {
        return db.read(tx -> {
            try (PreparedStatement query = tx.connection().prepareStatement("""
                    SELECT attempt, seq, stream, data, at FROM job_output
                    WHERE job_id = ? AND (attempt > ? OR (attempt = ? AND seq > ?))
                    ORDER BY attempt, seq, stream""")) {
                query.setString(1, jobId);
                query.setInt(2, cursor.attempt());
                query.setInt(3, cursor.attempt());
                query.setInt(4, cursor.seq());
                List<OutputChunk> chunks = new ArrayList<>();
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        chunks.add(new OutputChunk(jobId, rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getLong(5)));
                    }
                }
                return chunks;
            }
        });
    }
}
