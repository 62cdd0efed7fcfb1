package dev.beacon.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The figures of {@code GET /api/queue}, across all organizations, as gauges on {@code /metrics}. One scrape reads
 * every gauge; the figures are read from the database at most once a second for all of them (the average wait at
 * most every {@link QueueWaits#MAX_AGE}). Thread-safe.
 */
public final class QueueGauges {
    private static final long MAX_AGE_NANOS = 1_000_000_000L;

    private final Supplier<QueueFigures> source;
    private QueueFigures cached; // guarded by this
    private long readAt;          // guarded by this

    private QueueGauges(Supplier<QueueFigures> source) {
        this.source = source;
    }

    /** Registers the gauges; {@code source} reads the figures of all organizations. */
    public static void register(MeterRegistry registry, Supplier<QueueFigures> source) {
        QueueGauges gauges = new QueueGauges(source);
        gauge(registry, gauges, "beacon.jobs.queued", "Jobs waiting for a robot", QueueFigures::jobsQueued);
        gauge(registry, gauges, "beacon.jobs.wait.avg.seconds", "Average wait from queued to assigned over the last hour",
                QueueFigures::avgWaitS);
        gauge(registry, gauges, "beacon.robots.active.drivers", "Robots online or busy", QueueFigures::activeDrivers);
        gauge(registry, gauges, "beacon.robots.online", "Robots connected and idle", QueueFigures::online);
        gauge(registry, gauges, "beacon.robots.busy", "Robots running a job", QueueFigures::busy);
        gauge(registry, gauges, "beacon.robots.offline", "Robots not connected", QueueFigures::offline);
    }

    private static void gauge(MeterRegistry registry, QueueGauges gauges, String name, String description,
                              ToDoubleFunction<QueueFigures> figure) {
        Gauge.builder(name, gauges, g -> {
            QueueFigures figures = g.current();
            return figures == null ? Double.NaN : figure.applyAsDouble(figures);
        }).description(description).strongReference(true).register(registry);
    }

    private synchronized QueueFigures current() {
        long now = System.nanoTime();
        if (cached == null || now - readAt > MAX_AGE_NANOS) {
            try {
                cached = source.get();
                readAt = now;
            } catch (RuntimeException e) {
                return cached; // the database is unreachable; /readyz says so, the gauges keep the last figures
            }
        }
        return cached;
    }
}
