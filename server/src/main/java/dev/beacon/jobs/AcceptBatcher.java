package dev.beacon.jobs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes deferred {@code job.accepted}s in batches on its own thread, {@code beacon-job-accepts}: an accept waits
 * {@link #DELAY_MILLIS} so that a short job's result comes first and the write is never needed
 * ({@link #forget}). Connection threads call {@link #defer} and {@link #forget}. Thread-safe.
 */
final class AcceptBatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /**
     * How long a {@code job.accepted} waits before it is written: long enough that a short job's result (an echo takes
     * about a millisecond) comes first and the write is never needed, short enough that a running job shows as
     * {@code assigned} only briefly.
     */
    static final long DELAY_MILLIS = 20;

    private final JobStore store;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("beacon-job-accepts").factory());
    /** Accepts not written yet, by job id; guarded by itself. */
    private final Map<String, JobStore.Accept> pending = new LinkedHashMap<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    AcceptBatcher(JobStore store) {
        this.store = store;
    }

    /** Writes the accept with the next batch, unless {@link #forget} comes first. */
    void defer(JobStore.Accept accept) {
        synchronized (pending) {
            pending.put(accept.jobId(), accept);
        }
        if (scheduled.compareAndSet(false, true)) {
            try {
                writer.schedule(this::write, DELAY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.debug("dispatcher stopped; job {} stays assigned until its result or its session's end", accept.jobId());
            }
        }
    }

    /** The job's result or its session's end settles it: its accept need not be written any more. */
    void forget(String jobId) {
        synchronized (pending) {
            pending.remove(jobId);
        }
    }

    /** Writes the accepts whose results have not come yet, in one transaction. On the writer thread (tests: any). */
    void write() {
        scheduled.set(false);
        List<JobStore.Accept> batch;
        synchronized (pending) {
            batch = List.copyOf(pending.values());
            pending.clear();
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            store.accepted(batch);
        } catch (RuntimeException e) {
            // Not lost: each job's result or its session's end settles it from 'assigned' just the same.
            log.warn("could not mark {} accepted jobs running", batch.size(), e);
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}
