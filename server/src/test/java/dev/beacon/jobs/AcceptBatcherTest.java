package dev.beacon.jobs;

import static dev.beacon.jobs.Slots.ORG;
import static dev.beacon.jobs.Slots.T0;
import static dev.beacon.jobs.Slots.job;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.store.Database;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accept batcher over SQLite: a deferred accept is written by the next batch unless the job's result came first.
 * Calls {@link AcceptBatcher#write} on JUnit's thread instead of waiting for the writer thread.
 */
class AcceptBatcherTest {
    @TempDir
    Path dataDir;
    private Database db;
    private JobStore store;
    private AcceptBatcher batcher;

    @BeforeEach
    void open() {
        db = Database.open(Database.sqliteUrl(dataDir));
        db.write(tx -> tx.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", ORG, "acme", 0));
        store = new JobStore(db, new ObjectMapper());
        batcher = new AcceptBatcher(store);
        for (String id : new String[] {"j1", "j2"}) {
            store.insert(job(id, "echo"), null);
            db.write(tx -> tx.execute(
                    "UPDATE jobs SET status = 'assigned', attempts = 1, robot_id = 'r1', session_id = 's1', assigned_at = 0 WHERE id = ?", id));
        }
    }

    @AfterEach
    void close() {
        batcher.close();
        db.close();
    }

    @Test
    void deferred_accepts_are_written_in_one_batch_except_those_forgotten() {
        batcher.close(); // no writer thread: this test writes the batch itself
        batcher.defer(new JobStore.Accept("j1", "s1", T0));
        batcher.defer(new JobStore.Accept("j2", "s1", T0));
        batcher.forget("j2"); // its result came first

        batcher.write();

        assertThat(store.byId(ORG, "j1")).get().extracting(Job::status).isEqualTo(JobStatus.RUNNING);
        assertThat(store.byId(ORG, "j2")).get().extracting(Job::status).isEqualTo(JobStatus.ASSIGNED);
    }
}
