package dev.beacon.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a job's hold ({@link JobStore#settle}): counts and logs it, and tells the registry's backlog when the job went
 * back to the queue. Writes on the caller's thread (connection, sweeper, or the start). Thread-safe.
 */
final class JobSettler {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final JobStore store;
    private final IdleRegistry registry;
    private final Clock clock;
    private final MeterRegistry metrics;

    JobSettler(JobStore store, IdleRegistry registry, Clock clock, MeterRegistry metrics) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.metrics = metrics;
    }

    Optional<Job> settle(String jobId, String sessionId, Transition.Event event) {
        return settle(jobId, sessionId, event, null);
    }

    /** {@code acceptedAt}: when the session accepted the job, if that is not written yet (null otherwise). */
    Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant acceptedAt) {
        Optional<Job> settled = store.settle(jobId, sessionId, event, clock.instant(), acceptedAt);
        settled.ifPresent(job -> {
            metrics.counter("beacon.jobs.settled", "status", job.status().wireName()).increment();
            if (job.status() == JobStatus.SUCCEEDED) {
                // Debug only: at thousands of jobs a second a line per success was ~2% of the server's CPU, and the
                // job row (and beacon.jobs.settled) already says it. Every other outcome is worth a line.
                log.debug("job {} ({}): {}", job.id(), job.kind(), job.status());
            } else {
                log.info("job {} ({}): {}{}", job.id(), job.kind(), job.status(), job.error() == null ? "" : " — " + job.error());
            }
            if (job.status() == JobStatus.QUEUED) {
                registry.queued(job);
            }
        });
        return settled;
    }
}
