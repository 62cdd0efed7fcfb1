package dev.beacon.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The queue and thread behind group commit: callers {@link #submit} transactions and block until they are
 * answered; one platform thread takes everything queued (up to a batch size) and hands it to a {@link Runner},
 * which commits the batch once and completes each task. {@link #close} lets the queued work finish, then fails
 * whatever arrives later. Thread-safe.
 */
final class BatchQueue implements AutoCloseable {
    /** One caller's transaction and the future its caller waits on. */
    record Task<T>(Database.Work<T> work, CompletableFuture<T> result) {
    }

    /** Runs one batch: completes every task, normally or exceptionally, once the batch is committed (or failed). */
    interface Runner {
        void run(List<Task<?>> batch);
    }

    private static final Task<Void> STOP = new Task<>(tx -> null, new CompletableFuture<>());
    private final int maxBatch;
    private final Runner runner;
    private final BlockingQueue<Task<?>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    BatchQueue(String threadName, int maxBatch, Runner runner) {
        this.maxBatch = maxBatch;
        this.runner = runner;
        this.thread = Thread.ofPlatform().name(threadName).daemon().start(this::run);
    }

    /** Runs {@code work} in the next batch and returns its result once committed; rethrows what it threw. */
    <T> T submit(Database.Work<T> work) {
        if (closed) {
            throw new IllegalStateException("the database is closed");
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        queue.add(new Task<>(work, result));
        return Sql.await(result);
    }

    private void run() {
        List<Task<?>> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // only close() stops the thread, after the queue is drained
            }
            queue.drainTo(batch, maxBatch - 1);
            boolean stopping = batch.remove(STOP);
            if (!batch.isEmpty()) {
                runner.run(batch);
            }
            batch.clear();
            if (stopping) {
                break;
            }
        }
        Task<?> left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(new IllegalStateException("the database is closed"));
        }
    }

    /** Stops taking work once what is queued has run; waits up to 10 s for it. */
    @Override
    public void close() {
        closed = true;
        queue.add(STOP);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
