package dev.beacon.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.enrollment.Claim;
import dev.beacon.enrollment.EnrollmentKey;
import dev.beacon.enrollment.EnrollmentService;
import dev.beacon.orgs.Fleet;
import dev.beacon.orgs.OrgStore;
import dev.beacon.orgs.Organization;
import dev.beacon.orgs.Site;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.Registration;
import dev.beacon.robots.RobotStore;
import dev.beacon.server.BeaconServer;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.tokens.SecretBox;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An enrollment claim in-process, without HTTP: {@link EnrollmentService#claim} finds the key (one read) and runs the
 * claim's transaction (the robot, its token, the audit event and the key's use) against a SQLite file in a temporary
 * directory, each claim for a new name. One thread measures the transaction's latency; eight racing threads show what
 * group commit makes of them (docs/performance.md, "Enrollment").
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ClaimBenchmark {
    private Path dir;
    private Database db;
    private EnrollmentService enrollment;
    private OrgStore orgs;
    private String keyValue;
    private final AtomicLong names = new AtomicLong();

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("beacon-claim-bench");
        db = Database.open(Database.sqliteUrl(dir));
        Clock clock = Clock.systemUTC();
        Ids ids = new Ids(clock);
        ObjectMapper json = BeaconServer.objectMapper();
        orgs = new OrgStore(db, ids, clock);
        enrollment = new EnrollmentService(db, new RobotStore(db, json), orgs, new AuditLog(db, ids, clock),
                SecretBox.load(null, dir), 60, ids, clock, noEvents());
        newKey();
    }

    /** A key with a million uses per iteration, so no iteration runs out. */
    @Setup(Level.Iteration)
    public void newKey() {
        String[] scope = db.write(tx -> {
            Organization org = orgs.createOrganization(tx, "bench-" + names.incrementAndGet());
            Site site = orgs.createSite(tx, org.id(), "site");
            Fleet fleet = orgs.createFleet(tx, org.id(), site.id(), "fleet");
            return new String[] {org.id(), site.id(), fleet.id()};
        });
        EnrollmentKey key = enrollment.create(scope[0], new EnrollmentService.KeyRequest(scope[1], scope[2], "bench", 1_000_000, 24,
                List.of()), Actor.SYSTEM);
        keyValue = enrollment.rawValue(key);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        db.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Benchmark
    @Threads(1)
    public Claim claimAlone() {
        return claim();
    }

    @Benchmark
    @Threads(8)
    public Claim claimEightRacing() {
        return claim();
    }

    private Claim claim() {
        Registration registration = new Registration("robot-" + names.incrementAndGet(), "host", "linux", "amd64", "1.0.0",
                List.of("shell"), Map.of("zone", "a"), "127.0.0.1");
        Claim claim = enrollment.claim(new EnrollmentService.ClaimRequest(keyValue, registration, false));
        if (!(claim instanceof Claim.Enrolled)) {
            throw new IllegalStateException("the claim was refused: " + claim);
        }
        return claim;
    }

    /** Nobody listens: a claim tells no one anything. */
    private static FleetEvents noEvents() {
        return (FleetEvents) Proxy.newProxyInstance(FleetEvents.class.getClassLoader(), new Class<?>[] {FleetEvents.class},
                (proxy, method, args) -> null);
    }
}
