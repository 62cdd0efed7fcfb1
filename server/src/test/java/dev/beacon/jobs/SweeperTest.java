package dev.beacon.jobs;

import static dev.beacon.jobs.Slots.ORG;
import static dev.beacon.jobs.Slots.T0;
import static dev.beacon.jobs.Slots.job;
import static dev.beacon.jobs.Slots.slot;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.store.Database;
import dev.beacon.testing.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweeper over a SQLite database and a {@link FakeClock}: a job past its timeout and grace goes back to the
 * queue, its robot is told to stop and drains; restart reconciliation requeues what was held. Runs on JUnit's thread.
 */
class SweeperTest {
    @TempDir
    Path dataDir;
    private Database db;
    private JobStore store;
    private final FakeClock clock = new FakeClock(T0);
    private final IdleRegistry registry = new IdleRegistry(500);
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private Sweeper sweeper;

    @BeforeEach
    void open() {
        db = Database.open(Database.sqliteUrl(dataDir));
        db.write(tx -> tx.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", ORG, "acme", 0));
        ObjectMapper json = new ObjectMapper();
        store = new JobStore(db, json);
        JobSettler settler = new JobSettler(store, registry, clock, metrics);
        sweeper = new Sweeper(store, registry, settler, new JobSender(new FrameCodec(json), registry), clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void a_job_past_its_timeout_and_grace_is_requeued_its_robot_told_to_stop_and_drained() {
        Slot robot = slot("r1", List.of("echo"));
        registry.greeted(robot);
        Job job = job("j1", "echo", 0, 10, 2);
        hold(job, robot);

        clock.advance(Duration.ofMillis(10_000 + Sweeper.GRACE_MILLIS));
        assertThat(sweeper.sweep()).containsExactly(ORG);
        assertThat(store.byId(ORG, "j1")).get().extracting(Job::status).isEqualTo(JobStatus.ASSIGNED); // not past it yet

        clock.advance(Duration.ofMillis(1));
        sweeper.sweep();
        assertThat(store.byId(ORG, "j1")).get().extracting(Job::status).isEqualTo(JobStatus.QUEUED);
        assertThat(((Slots.RecordingLink) robot.link).frames).containsExactly("{\"type\":\"job.cancel\",\"job_id\":\"j1\"}");
        assertThat(metrics.counter("beacon.jobs.settled", "status", JobStatus.QUEUED.wireName()).count()).isEqualTo(1);
        assertThat(registry.idleSlots(ORG)).isEmpty(); // draining

        clock.advance(Duration.ofMillis(Sweeper.DRAIN_MILLIS));
        sweeper.sweep();
        assertThat(registry.idleSlots(ORG)).isEmpty();
        clock.advance(Duration.ofMillis(1));
        sweeper.sweep();
        assertThat(registry.idleSlots(ORG)).containsExactly(robot);
    }

    @Test
    void the_last_attempt_past_its_timeout_ends_the_job() {
        Slot robot = slot("r1", List.of("echo"));
        registry.greeted(robot);
        hold(job("j1", "echo", 0, 10, 1), robot);

        clock.advance(Duration.ofMillis(10_000 + Sweeper.GRACE_MILLIS + 1));
        sweeper.sweep();

        assertThat(store.byId(ORG, "j1")).get().extracting(Job::status).isEqualTo(JobStatus.TIMED_OUT);
    }

    @Test
    void at_start_every_held_job_goes_back_to_the_queue() {
        Slot robot = slot("r1", List.of("echo"));
        hold(job("j1", "echo"), robot);
        store.insert(job("j2", "echo"), null);

        assertThat(sweeper.reconcileAtStart(clock.instant())).isEqualTo(1);
        assertThat(store.byId(ORG, "j1")).get().extracting(Job::status).isEqualTo(JobStatus.QUEUED);
        assertThat(registry.backlog(ORG).holdsJobFor(robot.robot)).isTrue();
    }

    /** Stores the job as given to the robot's session at the clock's time. */
    private void hold(Job job, Slot robot) {
        store.insert(job, null);
        db.write(tx -> tx.execute(
                "UPDATE jobs SET status = 'assigned', attempts = 1, robot_id = ?, session_id = ?, assigned_at = ? WHERE id = ?",
                robot.robotId, robot.sessionId, clock.millis(), job.id()));
        registry.planAndReserve(ORG, List.of(job));
    }
}
