package dev.beacon.jobs;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
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
 * The dispatcher's once-a-second sweep over an idle fleet ({@link IdleRegistry#endDrains}): which drains ended, and
 * which organizations have a robot here. {@code walkingEverySlot} is the sweep as it was before (every slot looked at
 * and its organization added to a set, every second), kept to compare. Each robot's organization id is its own
 * string, as read from the database. In this package because the registry is the dispatcher's own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SweepBenchmark {
    @Param({"19000"})
    int idleRobots;

    private final IdleRegistry registry = new IdleRegistry(500);
    private final Map<String, Slot> slots = new HashMap<>();

    @Setup
    public void setUp() {
        for (int i = 0; i < idleRobots; i++) {
            Slot slot = new Slot("rob_" + i, new String("org_01a23bd927521cf67443f7".toCharArray()), "ses_" + i, frame -> { });
            registry.greeted(slot);
            slots.put(slot.robotId, slot);
        }
    }

    @Benchmark
    public Set<String> endDrains() {
        return registry.endDrains(System.currentTimeMillis());
    }

    @Benchmark
    public Set<String> walkingEverySlot() {
        long now = System.currentTimeMillis();
        Set<String> orgs = new HashSet<>();
        for (Slot slot : slots.values()) {
            if (slot.currentJobId != null && slot.drainUntilMillis != 0 && slot.drainUntilMillis < now) {
                throw new IllegalStateException("no slot drains in this benchmark");
            }
            orgs.add(slot.orgId);
        }
        return orgs;
    }
}
