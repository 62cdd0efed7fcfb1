package dev.beacon.jobs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Planning a dispatch round ({@link DispatchRound#plan}) over an organization's idle robots, held as the registry
 * holds them (longest idle first): with no queued job, as after each of a reconnect storm's hellos, and with ten.
 * {@code byCopying*} is the plan as it was before (the idle robots copied into a list, then into a set, every round),
 * kept to compare. In this package because the plan and its slots are the dispatcher's own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DispatchPlanBenchmark {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Param({"19000"})
    int idleRobots;

    private final TreeMap<Long, Slot> idle = new TreeMap<>();
    private final List<Job> tenJobs = new ArrayList<>();

    @Setup
    public void setUp() {
        for (int i = 0; i < idleRobots; i++) {
            String id = "rob_" + i;
            Slot slot = new Slot(id, "org-1", "ses_" + i, frame -> { });
            slot.robot = new Robot(id, "org-1", "site-1", "fleet-1", id, null, T0, RobotStatus.ONLINE, T0, null, null, null, null,
                    null, List.of("echo"), Map.of(), Map.of(), null, null, null, null);
            idle.put((long) i, slot);
        }
        for (int i = 0; i < 10; i++) {
            tenJobs.add(new Job("job_" + i, "org-1", "echo", JsonNodeFactory.instance.objectNode(), new Target(null, null, null, List.of(),
                    Map.of()), 0, 60, 2, 0, JobStatus.QUEUED, null, null, null, null, null, null, null, T0, T0, null, null, null, null, T0));
        }
    }

    @Benchmark
    public List<DispatchRound.Plan> emptyQueue() {
        return DispatchRound.plan(List.of(), idle.values());
    }

    @Benchmark
    public List<DispatchRound.Plan> tenJobs() {
        return DispatchRound.plan(tenJobs, idle.values());
    }

    @Benchmark
    public List<DispatchRound.Plan> byCopyingEmptyQueue() {
        return byCopying(List.of(), new ArrayList<>(idle.values()));
    }

    @Benchmark
    public List<DispatchRound.Plan> byCopyingTenJobs() {
        return byCopying(tenJobs, new ArrayList<>(idle.values()));
    }

    /** The plan before: the idle robots copied into a set, every round. */
    private static List<DispatchRound.Plan> byCopying(List<Job> queue, List<Slot> idle) {
        Set<Slot> free = new LinkedHashSet<>(idle);
        List<DispatchRound.Plan> plans = new ArrayList<>();
        for (Job job : queue) {
            if (free.isEmpty()) {
                break;
            }
            for (Slot slot : free) {
                if (slot.canRun(job)) {
                    free.remove(slot);
                    plans.add(new DispatchRound.Plan(job, slot));
                    break;
                }
            }
        }
        return plans;
    }
}
