package dev.beacon.retention;

import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.Sql;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the history the {@link RetentionSettings} no longer keep: once {@link #FIRST_RUN} after start (sooner if the
 * settings prune more often), then every {@link RetentionSettings#pruneEvery()} (an hour with the defaults), on a thread of its own ({@code beacon-retention}) so that a long first run after an upgrade never
 * delays the server's lease renewal and sweeps. Each kind is pruned in batches of {@link #BATCH} rows, one short
 * transaction each, with a pause between them ({@link RetentionStore}).
 *
 * <p>On PostgreSQL several nodes share the database: a run holds a session-level advisory lock on a connection of its
 * own for its whole length, and a node that cannot take it skips that run, so one node prunes at a time. Were two to
 * run anyway, the statements are idempotent. On SQLite there is one server per database and the writes go through
 * its single writer. {@link #runOnce} may be called from any thread (tests do); runs never overlap. Thread-safe.
 */
public final class Pruner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pruner.class);
    /** Rows per statement: a few milliseconds of work, short enough that no writer waits on it noticeably. */
    static final int BATCH = 500;
    /** Soon enough that history kept past the defaults goes shortly after an upgrade, late enough to stay out of the start. */
    static final Duration FIRST_RUN = Duration.ofMinutes(2);
    /** Between batches, so that a backlog of millions of rows is worked off without monopolizing the writer. */
    private static final Duration PAUSE = Duration.ofMillis(20);
    /** The advisory lock that says "a node is pruning": an arbitrary constant, the ASCII of "bcnprune". */
    static final long LOCK_KEY = 0x62636e7072756e65L;

    /** What one {@link #runOnce} did. */
    public sealed interface Run {
        /** This node pruned; rows per kind (every kind present, zero when nothing was old enough or it is kept for ever). */
        record Pruned(Map<Kind, Long> rows) implements Run {
            public long total() {
                return rows.values().stream().mapToLong(Long::longValue).sum();
            }
        }

        /** Another node held the lock and was pruning: this node did nothing. */
        record Busy() implements Run {
        }
    }

    /** When this node last finished pruning, and the rows it removed then per kind (every kind present). */
    public record LastRun(Instant at, Map<Kind, Long> rows) {
    }

    private final Database db;
    private final RetentionStore store;
    private final RetentionSettings settings;
    private final Clock clock;
    private final Map<Kind, Counter> pruned = new EnumMap<>(Kind.class);
    /** When this node last finished a run, in epoch seconds; 0 before its first. */
    private final AtomicLong lastRunSeconds = new AtomicLong();
    /** The same run with its rows, for the dashboard's About page; null before the first. */
    private final AtomicReference<LastRun> lastRun = new AtomicReference<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread named = new Thread(runnable, "beacon-retention");
        named.setDaemon(true);
        return named;
    });

    public Pruner(Database db, RetentionSettings settings, Clock clock, MeterRegistry metrics) {
        this.db = db;
        this.store = new RetentionStore(db);
        this.settings = settings;
        this.clock = clock;
        for (Kind kind : Kind.values()) {
            pruned.put(kind, Counter.builder("beacon.retention.pruned").tag("kind", kind.tag())
                    .description("Rows the retention pruner deleted (job_output: outputs cleared)").register(metrics));
        }
        Gauge.builder("beacon.retention.last.run.timestamp", lastRunSeconds, AtomicLong::get).baseUnit("seconds")
                .description("When this node last finished pruning, in seconds since the epoch; 0: not yet").register(metrics);
    }

    /** Schedules the runs; called once, when the server has started. */
    public Pruner start() {
        Duration every = settings.pruneEvery();
        log.info("retention: {}; pruned every {}", settings, RetentionSettings.describe(every));
        if (db.dialect() == Dialect.POSTGRESQL && !db.read(tx -> autovacuumOn(tx.connection()))) {
            log.warn("PostgreSQL's autovacuum is off: Beacon vacuums the tables it prunes after each run, but nothing reclaims "
                    + "the dead rows of other tables (a robot's row changes with every job); turn autovacuum on");
        }
        long first = Math.min(FIRST_RUN.toSeconds(), every.toSeconds());
        thread.scheduleWithFixedDelay(this::runLogged, first, every.toSeconds(), TimeUnit.SECONDS);
        return this;
    }

    /**
     * Prunes every kind once, now, unless another node is pruning ({@link Run.Busy}). Returns when done, or early (with
     * what was done) if the calling thread is interrupted.
     */
    public synchronized Run runOnce() {
        if (db.dialect() == Dialect.SQLITE) {
            return pruneAll();
        }
        return db.read(tx -> {
            var connection = tx.connection();
            // Session-level, on this connection: held across the batches' own transactions on other connections, and
            // released by PostgreSQL if this node dies mid-run.
            boolean locked = Sql.first(connection, "SELECT pg_try_advisory_lock(?)", rs -> rs.getBoolean(1), LOCK_KEY);
            if (!locked) {
                return new Run.Busy();
            }
            try {
                Run.Pruned run = pruneAll();
                if (!autovacuumOn(connection)) {
                    vacuum(connection, run);
                }
                return run;
            } finally {
                Sql.first(connection, "SELECT pg_advisory_unlock(?)", rs -> rs.getBoolean(1), LOCK_KEY);
            }
        });
    }

    private Run.Pruned pruneAll() {
        long now = clock.millis();
        Map<Kind, Long> rows = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            Duration kept = kind.keptFor(settings);
            long done = 0;
            if (!kept.isZero()) {
                try {
                    done = prune(kind, now - kept.toMillis());
                } catch (RuntimeException e) {
                    log.warn("pruning {} failed; the next run tries again", kind.tag(), e);
                }
            }
            rows.put(kind, done);
        }
        Instant finished = clock.instant();
        lastRunSeconds.set(finished.getEpochSecond());
        lastRun.set(new LastRun(finished, Collections.unmodifiableMap(rows)));
        return new Run.Pruned(rows);
    }

    private static boolean autovacuumOn(Connection connection) {
        return !"off".equals(Sql.first(connection, "SELECT current_setting('autovacuum')", rs -> rs.getString(1)));
    }

    /**
     * With PostgreSQL's autovacuum off nothing would make the pruned rows' space reusable, and the database would
     * grow as if nothing were pruned (a soak at 450 jobs a second: 70 MB a minute): so the run vacuums the tables it
     * pruned rows from. A plain {@code VACUUM} blocks no reads or writes.
     */
    private static void vacuum(Connection connection, Run.Pruned run) {
        Set<String> tables = new TreeSet<>();
        run.rows().forEach((kind, rows) -> {
            if (rows > 0) {
                tables.add(kind.table());
                if (kind == Kind.JOB_OUTPUT) {
                    tables.add("job_output");
                }
            }
        });
        for (String table : tables) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("VACUUM (ANALYZE) " + table);
            } catch (SQLException e) {
                log.warn("vacuuming {} after pruning failed; the next run tries again", table, e);
            }
        }
    }

    /**
     * This node's last finished run, or empty when it has not pruned since it started (the first run comes
     * {@link #FIRST_RUN} after the start; on PostgreSQL another node may have pruned instead). Any thread.
     */
    public Optional<LastRun> lastRun() {
        return Optional.ofNullable(lastRun.get());
    }

    private long prune(Kind kind, long cutoffMillis) {
        long total = batches(kind, () -> store.prune(kind, cutoffMillis, BATCH));
        if (kind == Kind.JOB_OUTPUT) {
            // The live output agents streamed while jobs ran (table job_output) is kept as long as the jobs' output.
            total += batches(kind, () -> store.pruneLiveOutput(cutoffMillis, BATCH));
        }
        return total;
    }

    /** Runs {@code batch} until it prunes fewer than {@link #BATCH} rows, pausing between batches; returns the rows. */
    private long batches(Kind kind, java.util.function.IntSupplier batch) {
        long total = 0;
        while (!Thread.currentThread().isInterrupted()) {
            int changed = batch.getAsInt();
            total += changed;
            pruned.get(kind).increment(changed);
            if (changed < BATCH) {
                break;
            }
            try {
                Thread.sleep(PAUSE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return total;
    }

    private void runLogged() {
        try {
            Run run = runOnce();
            if (run instanceof Run.Pruned done && done.total() > 0) {
                log.info("retention pruned {}", done.rows().entrySet().stream().filter(entry -> entry.getValue() > 0)
                        .map(entry -> entry.getKey().tag() + " " + entry.getValue()).collect(Collectors.joining(", ")));
            }
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log, and try again at the next period.
            log.warn("a retention run failed; the next one tries again", e);
        }
    }

    /** Stops the runs, interrupting one under way between batches; waits briefly for it, before the database closes. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("a retention run did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
