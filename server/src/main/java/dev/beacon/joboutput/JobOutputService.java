package dev.beacon.joboutput;

import dev.beacon.errors.NotFound;
import dev.beacon.jobs.Job;
import dev.beacon.jobs.JobService;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.store.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the {@code job.output} frames agents send and stores them with their job, capped per job. For each job attempt
 * a session streams it keeps, in memory, whether the session holds the job (read once, at the attempt's first frame),
 * the bytes stored so far and whether the cap was reached: past the cap one {@code truncated} mark is stored and
 * later chunks are dropped without touching the database. Chunks are written in batches on a thread of its own,
 * {@code beacon-job-output}, at most {@link #FLUSH_MILLIS} ms after they came, so that output never waits on the
 * connection's thread; a job's result first writes what of its output still waits ({@link #resultArrived}). Readers
 * ({@link JobOutputRoutes}) wait for {@link #awaitWrite} and read the database, so output written by any node reaches
 * them. Connection threads call {@link #accept} and {@link #resultArrived}; the scheduler {@link #sweep}. Thread-safe.
 */
public final class JobOutputService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobOutputService.class);
    /** The default of {@code --job-output-cap}: 1 MiB per job. */
    public static final long DEFAULT_CAP_BYTES = 1024 * 1024;
    /** How long a chunk waits to be written with others: about the agent's own coalescing, so a line shows within ~0.3 s. */
    static final long FLUSH_MILLIS = 100;
    /**
     * Chunks waiting for the database, in bytes, beyond which new chunks are dropped (and their jobs marked truncated):
     * a database that stalls must not make the server hold every agent's output in memory.
     */
    static final long MAX_PENDING_BYTES = 16L * 1024 * 1024;
    /** An attempt with no frame for this long is forgotten; a later frame reads its facts again. */
    static final long IDLE_MILLIS = 60_000;

    private final JobOutputStore store;
    private final JobService jobs;
    private final Clock clock;
    private final long capBytes;
    private final Counter dropped;
    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("beacon-job-output").factory());
    /** Chunks not written yet, in the order they came; guarded by itself. */
    private final List<OutputChunk> pending = new ArrayList<>();
    private long pendingBytes;
    private boolean flushScheduled;
    /** One flush at a time, so batches are written in the order they were taken. */
    private final Object flushing = new Object();
    /** Counts committed batches; readers wait for the next one on {@link #written}. Guarded by {@link #writesLock}. */
    private long writes;
    /** A lock and condition, not a monitor: followers wait on virtual threads, which a monitor would pin on Java 21. */
    private final ReentrantLock writesLock = new ReentrantLock();
    private final Condition written = writesLock.newCondition();
    private volatile boolean closed;

    /** {@code capBytes}: the most output stored per job, in UTF-8 bytes; 0 stores none. */
    /** {@code jobs} tells whether a session holds a job, at an attempt's first frame. */
    public JobOutputService(Database db, JobService jobs, Clock clock, long capBytes, MeterRegistry metrics) {
        if (capBytes < 0) {
            throw new IllegalArgumentException("the job output cap must not be negative: " + capBytes);
        }
        this.store = new JobOutputStore(db);
        this.jobs = jobs;
        this.clock = clock;
        this.capBytes = capBytes;
        this.dropped = Counter.builder("beacon.job.output.dropped.bytes")
                .description("Bytes of live job output not stored: past a job's cap, or while the database fell behind").register(metrics);
    }

    /** What this node knows of one attempt a session streams. Guarded by itself. */
    private static final class Attempt {
        final boolean held;
        long storedBytes;
        boolean truncated;
        int lastSeq;
        long touchedAt;

        Attempt(boolean held, long storedBytes, boolean truncated, long now) {
            this.held = held;
            this.storedBytes = storedBytes;
            this.truncated = truncated;
            this.touchedAt = now;
        }
    }

    JobOutputStore store() {
        return store;
    }

    /**
     * A {@code job.output} from session {@code sessionId} of organization {@code orgId}: stored with the next batch when the session holds the job in
     * that attempt and the job's cap leaves room; the part of it that fits otherwise, then the truncation mark. A frame
     * for a job the session does not hold, a seq already seen, and anything past the mark are ignored. Called on the
     * connection's thread; reads the database only at an attempt's first frame.
     */
    public void accept(String orgId, String sessionId, Frame.JobOutput frame) {
        if (capBytes == 0 || closed) {
            return;
        }
        String key = sessionId + "/" + frame.jobId() + "/" + frame.attempt();
        Attempt attempt = attempts.get(key);
        if (attempt == null) {
            attempt = attempts.computeIfAbsent(key, k -> load(orgId, sessionId, frame));
        }
        List<OutputChunk> chunks = new ArrayList<>(2);
        long now = clock.millis();
        synchronized (attempt) {
            attempt.touchedAt = now;
            if (!attempt.held || frame.seq() <= attempt.lastSeq) {
                return; // not this session's job, or a frame sent twice
            }
            attempt.lastSeq = frame.seq();
            if (attempt.truncated) {
                dropped.increment(FrameCodec.utf8Length(frame.data()));
                return;
            }
            String data = frame.data();
            int bytes = FrameCodec.utf8Length(data);
            boolean overCap = attempt.storedBytes + bytes > capBytes;
            if (overCap) {
                String part = prefix(data, capBytes - attempt.storedBytes);
                dropped.increment(bytes - FrameCodec.utf8Length(part));
                data = part;
                bytes = FrameCodec.utf8Length(part);
            }
            if (!data.isEmpty()) {
                chunks.add(new OutputChunk(frame.jobId(), frame.attempt(), frame.seq(), frame.stream(), data, now));
                attempt.storedBytes += bytes;
            }
            if (overCap || frame.truncated()) {
                chunks.add(new OutputChunk(frame.jobId(), frame.attempt(), frame.seq(), OutputChunk.TRUNCATED, "", now));
                attempt.truncated = true;
            }
            if (!enqueue(chunks)) {
                attempt.truncated = true;
            }
        }
    }

    private Attempt load(String orgId, String sessionId, Frame.JobOutput frame) {
        long now = clock.millis();
        Job job;
        try {
            job = jobs.get(orgId, frame.jobId());
        } catch (NotFound e) {
            job = null;
        }
        boolean held = job != null && job.isHeld() && sessionId.equals(job.sessionId()) && job.attempts() == frame.attempt();
        if (!held) {
            log.debug("job {}: ignoring output from session {} that does not hold attempt {}", frame.jobId(), sessionId, frame.attempt());
            return new Attempt(false, 0, false, now);
        }
        // Earlier attempts' output counts against the cap too (the cap is per job); chars stand in for their bytes.
        JobOutputStore.Stored stored = store.stored(frame.jobId());
        return new Attempt(true, stored.chars(), stored.truncated(), now);
    }

    /**
     * Queues chunks for the next batch; false when the queue is full, in which case only a truncation mark among
     * them is queued.
     */
    private boolean enqueue(List<OutputChunk> chunks) {
        if (chunks.isEmpty()) {
            return true;
        }
        long bytes = chunks.stream().mapToLong(chunk -> chunk.data().length()).sum();
        boolean fits;
        synchronized (pending) {
            fits = pendingBytes + bytes <= MAX_PENDING_BYTES;
            if (fits) {
                pending.addAll(chunks);
                pendingBytes += bytes;
            } else {
                OutputChunk first = chunks.get(0);
                pending.add(new OutputChunk(first.jobId(), first.attempt(), first.seq(), OutputChunk.TRUNCATED, "", first.at()));
                dropped.increment(bytes);
            }
            if (!flushScheduled) {
                flushScheduled = true;
                try {
                    writer.schedule(this::flush, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    flushScheduled = false; // closing: close() writes what is left
                }
            }
        }
        return fits;
    }

    /** Writes every chunk waiting, in one transaction, then wakes the readers. On the writer thread, or a result's. */
    void flush() {
        synchronized (flushing) {
            List<OutputChunk> batch;
            synchronized (pending) {
                flushScheduled = false;
                batch = List.copyOf(pending);
                pending.clear();
                pendingBytes = 0;
            }
            if (batch.isEmpty()) {
                return;
            }
            try {
                store.insert(batch);
            } catch (RuntimeException e) {
                log.warn("could not store {} chunks of live job output; they are lost (the jobs' results are not)", batch.size(), e);
            }
            signalWritten(true);
        }
    }

    private void signalWritten(boolean count) {
        writesLock.lock();
        try {
            if (count) {
                writes++;
            }
            written.signalAll();
        } finally {
            writesLock.unlock();
        }
    }

    /**
     * The job's result came from session {@code sessionId}: its output still waiting is written now, before the
     * result settles the job, so that a reader who sees the job finished finds all of it; the attempt is forgotten.
     * Costs nothing for a job that streamed no output. Called on the connection's thread.
     */
    public void resultArrived(String sessionId, String jobId) {
        String prefix = sessionId + "/" + jobId + "/";
        if (attempts.keySet().removeIf(key -> key.startsWith(prefix))) {
            flush();
        }
    }

    /** How many batches were written so far: pass it to {@link #awaitWrite}. */
    long writes() {
        writesLock.lock();
        try {
            return writes;
        } finally {
            writesLock.unlock();
        }
    }

    /** Waits until a batch after {@code seen} is written, or {@code millis} pass; returns early when closing. */
    void awaitWrite(long seen, long millis) throws InterruptedException {
        writesLock.lock();
        try {
            if (writes == seen && !closed) {
                written.await(millis, TimeUnit.MILLISECONDS);
            }
        } finally {
            writesLock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Forgets attempts no frame came for in {@link #IDLE_MILLIS}. Run now and then by the server's scheduler. */
    public void sweep() {
        long cutoff = clock.millis() - IDLE_MILLIS;
        attempts.values().removeIf(attempt -> {
            synchronized (attempt) {
                return attempt.touchedAt < cutoff;
            }
        });
    }

    /** The longest start of {@code text} of at most {@code maxBytes} UTF-8 bytes that does not split a character. */
    static String prefix(String text, long maxBytes) {
        long bytes = 0;
        int end = 0;
        while (end < text.length()) {
            char c = text.charAt(end);
            boolean pair = Character.isHighSurrogate(c) && end + 1 < text.length() && Character.isLowSurrogate(text.charAt(end + 1));
            int width = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            if (bytes + width > maxBytes) {
                break;
            }
            bytes += width;
            end += pair ? 2 : 1;
        }
        return text.substring(0, end);
    }

    /** Writes what waits, stops the writer thread and wakes every reader; called by the server's shutdown. */
    @Override
    public void close() {
        closed = true;
        writer.shutdownNow();
        flush();
        signalWritten(false);
    }
}
