package dev.beacon.server;

import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.SpaceFigures;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The database's size, its free space (SQLite) and row estimates of the tables that grow, as gauges on
 * {@code /metrics}. A scrape reads them from a copy at most a minute old: the figures cost the database little, but a
 * scrape every few seconds need not pay even that. Thread-safe.
 */
final class DatabaseGauges {
    /** The tables that grow with use, and that retention prunes. */
    static final List<String> TABLES = List.of("jobs", "audit_events", "robot_connections");
    private static final long MAX_AGE_NANOS = 60_000_000_000L;

    private final Supplier<SpaceFigures> source;
    private final LongSupplier nanoTime;
    private SpaceFigures cached; // guarded by this
    private long readAt;         // guarded by this

    DatabaseGauges(Supplier<SpaceFigures> source, LongSupplier nanoTime) {
        this.source = source;
        this.nanoTime = nanoTime;
    }

    /** Registers the gauges on {@code registry}, read from {@code db}. */
    static void register(MeterRegistry registry, Database db) {
        DatabaseGauges gauges = new DatabaseGauges(() -> SpaceFigures.read(db, TABLES), System::nanoTime);
        gauge(registry, gauges, "beacon.database.size", "bytes", "Size of the database (SQLite: pages × page size; PostgreSQL: pg_database_size)",
                SpaceFigures::sizeBytes);
        if (db.dialect() == Dialect.SQLITE) {
            gauge(registry, gauges, "beacon.database.free", "bytes", "Free pages inside the SQLite file, given back to the disk in steps",
                    SpaceFigures::freeBytes);
        }
        for (String table : TABLES) {
            Gauge.builder("beacon.database.rows.estimate", gauges, g -> {
                        SpaceFigures figures = g.current();
                        return figures == null ? Double.NaN : figures.rowEstimates().getOrDefault(table, Double.NaN);
                    })
                    .tag("table", table)
                    .description("Estimated rows (PostgreSQL: the planner's estimate; SQLite: the rowid span, an upper bound)")
                    .strongReference(true).register(registry);
        }
    }

    private static void gauge(MeterRegistry registry, DatabaseGauges gauges, String name, String unit, String description,
                              ToDoubleFunction<SpaceFigures> figure) {
        Gauge.builder(name, gauges, g -> {
            SpaceFigures figures = g.current();
            return figures == null ? Double.NaN : figure.applyAsDouble(figures);
        }).baseUnit(unit).description(description).strongReference(true).register(registry);
    }

    /** The figures, read again when the copy is older than a minute; the last ones while the database does not answer. */
    synchronized SpaceFigures current() {
        long now = nanoTime.getAsLong();
        if (cached == null || now - readAt > MAX_AGE_NANOS) {
            try {
                cached = source.get();
                readAt = now;
            } catch (RuntimeException e) {
                return cached; // /readyz says the database is unreachable; the gauges keep the last figures
            }
        }
        return cached;
    }
}
