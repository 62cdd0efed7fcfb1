package dev.beacon.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.beacon.audit.Actor;
import dev.beacon.jobs.AgentLink;
import dev.beacon.jobs.Dispatcher;
import dev.beacon.jobs.Job;
import dev.beacon.jobs.JobRequest;
import dev.beacon.jobs.JobService;
import dev.beacon.jobs.JobStore;
import dev.beacon.protocol.Frame;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.store.Sql;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.Collection;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One echo job's way through the database on SQLite, without HTTP or sockets: {@link JobService#submit} stores the
 * job and claims an idle robot in one write (insert-and-claim), the robot's {@code job.assign} goes to a link that
 * drops it, and {@link Dispatcher#jobResult} settles the success and frees the robot (the second write). A real
 * SQLite file in a temporary directory, through the server's one writer, one job at a time (each write its own commit).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JobDispatchBenchmark {
    private static final String ORG = "o1";
    private static final int ROBOTS = 16;
    private static final byte[] ECHO = "{\"kind\":\"echo\",\"payload\":{\"message\":\"hello\"}}".getBytes(StandardCharsets.UTF_8);
    private static final Frame.JobResult RESULT_TEMPLATE = new Frame.JobResult("", "succeeded", TextNode.valueOf("hello"), 0, null);

    private final ObjectMapper json = new ObjectMapper();
    private Path dir;
    private Database db;
    private Dispatcher dispatcher;
    private JobService jobs;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("beacon-bench-jobs");
        db = Database.open(Database.sqliteUrl(dir));
        seed();
        Clock clock = Clock.systemUTC();
        RobotStore robots = new RobotStore(db, json);
        JobStore store = new JobStore(db, json);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        dispatcher = new Dispatcher(store, robots, clock, json, metrics);
        jobs = new JobService(store, robots, dispatcher, new Ids(clock), clock, metrics, new NoEvents());
        AgentLink dropped = frame -> { };
        for (int i = 0; i < ROBOTS; i++) {
            dispatcher.robotGreeted("r" + i, ORG, "s" + i, dropped);
        }
    }

    private void seed() {
        db.write(tx -> {
            Connection connection = tx.connection();
            Sql.update(connection, "INSERT INTO organizations (id, name, created_at) VALUES (?, 'acme', 0)", ORG);
            Sql.update(connection, "INSERT INTO sites (id, org_id, name, created_at) VALUES ('s1', ?, 'lab', 0)", ORG);
            Sql.update(connection, "INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES ('f1', ?, 's1', 'arms', 0)", ORG);
            for (int i = 0; i < ROBOTS; i++) {
                Sql.update(connection, """
                                INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status, session_id, capabilities)
                                VALUES (?, ?, 's1', 'f1', ?, 0, 'online', ?, '["echo"]')""",
                        "r" + i, ORG, "robot-" + i, "s" + i);
            }
            return null;
        });
    }

    /** Submit an echo job (stored and given to an idle robot in one write), then settle its success (a second write). */
    @Benchmark
    public Job submitAndSettle() {
        return runOne();
    }

    private Job runOne() {
        JobRequest request = JobRequest.parse(new ByteArrayInputStream(ECHO), json);
        Job job = jobs.submit(ORG, Actor.SYSTEM, request, null).job();
        if (job.robotId() == null) {
            throw new IllegalStateException("no idle robot took job " + job.id());
        }
        dispatcher.jobResult(job.robotId(), ORG, job.sessionId(), new Frame.JobResult(job.id(), RESULT_TEMPLATE.status(),
                RESULT_TEMPLATE.output(), RESULT_TEMPLATE.exitCode(), null));
        return job;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        dispatcher.close();
        db.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** Nobody else listens: one node, no dashboard. */
    private static final class NoEvents implements FleetEvents {
        @Override
        public void robotsRevoked(Collection<String> robotIds) {
        }

        @Override
        public void robotRemoved(String robotId) {
        }

        @Override
        public void robotResumed(Robot robot) {
        }

        @Override
        public void robotConnected(String robotId, String orgId, String sessionId, AgentLink link) {
        }

        @Override
        public void robotGone(String robotId, String sessionId, String reason) {
        }

        @Override
        public void jobReady(String orgId) {
        }

        @Override
        public void jobCancelRequested(String orgId, String jobId) {
        }
    }
}
