package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.protocol.Frame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs the jobs the server assigns, one at a time: built-in {@code echo} and {@code sleep}, and the commands
 * configured under {@code [handlers.<kind>]}. Thread-safe: {@link #submit}, {@link #cancel} and
 * {@link #cancelCurrent} may be called from any thread (the WebSocket listener, in practice); jobs run on one
 * worker thread of their own.
 */
final class JobRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
    static final List<String> BUILT_IN = List.of("echo", "sleep");

    private final Map<String, HandlerConfig> handlers;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(
            DaemonThreads.factory("beacon-job"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("beacon-job-timer"));
    private final AtomicReference<Running> current = new AtomicReference<>();

    JobRunner(Map<String, HandlerConfig> handlers) {
        this.handlers = Map.copyOf(handlers);
    }

    /** The job kinds a runner with these handlers can run, as advertised in {@code hello} and at enrollment. */
    static List<String> capabilities(Map<String, HandlerConfig> handlers) {
        Set<String> kinds = new LinkedHashSet<>(BUILT_IN);
        kinds.addAll(handlers.keySet());
        return List.copyOf(kinds);
    }

    /** What {@link #submit} decided. */
    sealed interface Submission {
        record Accepted() implements Submission {
        }

        /** Not started; {@code result} is the {@code failed} result to report instead. */
        record Rejected(JobResult result) implements Submission {
        }
    }

    /**
     * Starts {@code job} unless another job is running or its kind is not runnable here. {@code onAccepted} runs on
     * the caller's thread before the job starts (so {@code job.accepted} is sent before {@code job.result});
     * {@code onResult} runs once, on the worker thread, after the job has ended and the runner is free again.
     */
    Submission submit(JobAssignment job, Runnable onAccepted, Consumer<JobResult> onResult) {
        return submit(job, onAccepted, null, onResult);
    }

    /**
     * Like {@link #submit(JobAssignment, Runnable, Consumer)}, and a command handler's stdout and stderr go to
     * {@code onOutput} as {@code job.output} frames while it runs ({@link OutputStreamer}; null: not streamed), all of
     * them before {@code onResult}. Nothing is streamed for a job without an attempt number (an older server).
     */
    Submission submit(JobAssignment job, Runnable onAccepted, Consumer<Frame.JobOutput> onOutput, Consumer<JobResult> onResult) {
        if (!handlers.containsKey(job.kind()) && !BUILT_IN.contains(job.kind())) {
            return new Submission.Rejected(JobResult.failed(job.jobId(), "this agent has no handler for kind \""
                    + job.kind() + "\"; it runs " + capabilities(handlers)));
        }
        Running running = new Running(job, new CompletableFuture<>(), onOutput);
        if (!current.compareAndSet(null, running)) {
            return new Submission.Rejected(JobResult.failed(job.jobId(),
                    "this agent is busy with job " + current.get().job().jobId() + " and runs one job at a time"));
        }
        onAccepted.run();
        worker.execute(() -> {
            JobResult result = execute(running);
            current.compareAndSet(running, null); // free before reporting, so the server may assign the next job at once
            LOG.info("job {} ({}): {}", job.jobId(), job.kind(), result.status().wireName()
                    + (result.error() == null ? "" : " — " + result.error()));
            onResult.accept(result);
        });
        return new Submission.Accepted();
    }

    /** Cancels the job with this id if it is the one running; true if it was. */
    boolean cancel(String jobId) {
        Running running = current.get();
        if (running == null || !running.job().jobId().equals(jobId)) {
            return false;
        }
        running.stop().complete(JobStatus.CANCELLED);
        return true;
    }

    /** Cancels whatever runs, e.g. because the connection dropped and the server will retry the job elsewhere. */
    void cancelCurrent() {
        Running running = current.get();
        if (running != null) {
            running.stop().complete(JobStatus.CANCELLED);
        }
    }

    /** The id of the running job, if any. */
    Optional<String> currentJobId() {
        return Optional.ofNullable(current.get()).map(running -> running.job().jobId());
    }

    private JobResult execute(Running running) {
        JobAssignment job = running.job();
        HandlerConfig handler = handlers.get(job.kind());
        Duration timeout = effectiveTimeout(job.timeoutS(), handler == null ? null : handler.timeoutS());
        ScheduledFuture<?> timeoutTask = timeout == null ? null : timer.schedule(
                () -> running.stop().complete(JobStatus.TIMED_OUT), timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            if (handler != null) {
                OutputStreamer live = running.onOutput() == null || job.attempt() == null ? null
                        : new OutputStreamer(job.jobId(), job.attempt(), running.onOutput(), timer, System::nanoTime);
                return CommandJob.run(handler.command(), job, running.stop(), timeout, live);
            }
            return switch (job.kind()) {
                case "echo" -> new JobResult(job.jobId(), JobStatus.SUCCEEDED, job.payload(), null, null);
                case "sleep" -> sleep(job, running.stop(), timeout);
                default -> throw new IllegalStateException("kind checked in submit: " + job.kind());
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the runner is closing; report and let the worker thread end
            return new JobResult(job.jobId(), JobStatus.CANCELLED, null, null, "the agent is shutting down");
        } catch (RuntimeException e) {
            LOG.warn("job {} ({}) failed inside the agent", job.jobId(), job.kind(), e);
            return JobResult.failed(job.jobId(), "agent error: " + e);
        } finally {
            if (timeoutTask != null) {
                timeoutTask.cancel(false);
            }
        }
    }

    private static JobResult sleep(JobAssignment job, CompletableFuture<JobStatus> stop, Duration timeout)
            throws InterruptedException {
        JsonNode seconds = job.payload().path("seconds");
        if (!seconds.isNumber() || seconds.doubleValue() < 0) {
            return JobResult.failed(job.jobId(), "sleep needs a payload like {\"seconds\": 5}");
        }
        try {
            JobStatus stoppedFor = stop.get((long) (seconds.doubleValue() * 1000), TimeUnit.MILLISECONDS);
            String why = stoppedFor == JobStatus.TIMED_OUT ? "timed out after " + timeout.toSeconds() + " s" : null;
            return new JobResult(job.jobId(), stoppedFor, null, null, why);
        } catch (TimeoutException e) {
            return new JobResult(job.jobId(), JobStatus.SUCCEEDED, null, null, null); // slept the whole time
        } catch (ExecutionException e) {
            throw new IllegalStateException("stop never completes exceptionally", e);
        }
    }

    /** The stricter of the server's and the handler's timeouts; null when neither sets one. */
    static Duration effectiveTimeout(Integer jobTimeoutS, Integer handlerTimeoutS) {
        List<Integer> limits = new ArrayList<>();
        if (jobTimeoutS != null && jobTimeoutS > 0) {
            limits.add(jobTimeoutS);
        }
        if (handlerTimeoutS != null && handlerTimeoutS > 0) {
            limits.add(handlerTimeoutS);
        }
        return limits.stream().min(Integer::compare).map(Duration::ofSeconds).orElse(null);
    }

    /** Cancels the running job and stops the threads; does not wait for the job's process to die. */
    @Override
    public void close() {
        cancelCurrent();
        worker.shutdown();
        timer.shutdownNow();
    }

    private record Running(JobAssignment job, CompletableFuture<JobStatus> stop, Consumer<Frame.JobOutput> onOutput) {
    }
}
