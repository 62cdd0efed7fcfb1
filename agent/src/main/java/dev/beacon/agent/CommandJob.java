package dev.beacon.agent;

import com.fasterxml.jackson.databind.node.TextNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs one configured handler command for one job: argv straight to the OS (never a shell), payload JSON on
 * stdin, stdout captured up to 64 KiB, the whole process tree killed on timeout or cancel.
 * Each call runs on the caller's thread and starts its own pipe-reading threads; no shared state.
 */
final class CommandJob {
    private static final Logger LOG = LoggerFactory.getLogger(CommandJob.class);
    static final int OUTPUT_CAP_BYTES = 64 * 1024;
    static final int ERROR_CAP_BYTES = 4 * 1024;
    /** Time between SIGTERM and SIGKILL, so a handler can clean up. */
    static final Duration KILL_GRACE = Duration.ofSeconds(2);
    /** How long to wait for pipes to drain after the process ended (a stray background child may hold them). */
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(2);

    private CommandJob() {
    }

    /** Runs {@code command} for {@code job} until it exits or {@code stop} completes with the reason to stop. */
    static JobResult run(List<String> command, JobAssignment job, CompletableFuture<JobStatus> stop, Duration timeout)
            throws InterruptedException {
        return run(command, job, stop, timeout, null);
    }

    /**
     * Like {@link #run(List, JobAssignment, CompletableFuture, Duration)}, with the handler's stdout and stderr also
     * streamed through {@code live} as they come (null: not streamed); {@code live} is closed, and so has sent
     * everything, before this returns.
     */
    static JobResult run(List<String> command, JobAssignment job, CompletableFuture<JobStatus> stop, Duration timeout,
                         OutputStreamer live) throws InterruptedException {
        try {
            return runCapturing(command, job, stop, timeout, live);
        } finally {
            if (live != null) {
                live.close();
            }
        }
    }

    private static JobResult runCapturing(List<String> command, JobAssignment job, CompletableFuture<JobStatus> stop, Duration timeout,
                                          OutputStreamer live) throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("BEACON_JOB_ID", job.jobId());
        builder.environment().put("BEACON_JOB_KIND", job.kind());
        // Execution is at-least-once (a job may run again after a crash or a lost connection): the attempt number
        // lets a handler notice a repeat and stay idempotent.
        if (job.attempt() != null) {
            builder.environment().put("BEACON_JOB_ATTEMPT", Integer.toString(job.attempt()));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return JobResult.failed(job.jobId(), "could not start " + command.get(0) + ": " + e.getMessage());
        }
        LOG.info("job {} ({}): started {} as pid {}", job.jobId(), job.kind(), command.get(0), process.pid());
        Capture stdout = Capture.start(process.getInputStream(), OUTPUT_CAP_BYTES, "stdout-" + job.jobId(), live, "stdout");
        Capture stderr = Capture.start(process.getErrorStream(), ERROR_CAP_BYTES, "stderr-" + job.jobId(), live, "stderr");
        byte[] payload = job.payload().toString().getBytes(StandardCharsets.UTF_8);
        // Its own thread: a handler that never reads stdin must not block us from noticing a cancel.
        DaemonThreads.start("stdin-" + job.jobId(), () -> {
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(payload);
            } catch (IOException e) {
                LOG.debug("job {}: handler closed stdin early: {}", job.jobId(), e.toString());
            }
        });
        try {
            CompletableFuture.anyOf(process.onExit(), stop).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("neither future completes exceptionally", e);
        } catch (InterruptedException e) {
            killTree(process);
            throw e;
        }
        JobStatus stoppedFor = stop.getNow(null);
        if (stoppedFor != null && process.isAlive()) {
            killTree(process);
        } else {
            stoppedFor = null; // the process finished on its own; a late stop request changes nothing
        }
        process.waitFor();
        int exitCode = process.exitValue();
        String output = stdout.text(DRAIN_WAIT);
        String errors = stderr.text(DRAIN_WAIT).strip();
        if (stoppedFor == JobStatus.TIMED_OUT) {
            return new JobResult(job.jobId(), JobStatus.TIMED_OUT, TextNode.valueOf(output), null,
                    "timed out after " + timeout.toSeconds() + " s; process tree killed");
        }
        if (stoppedFor != null) {
            return new JobResult(job.jobId(), stoppedFor, TextNode.valueOf(output), null, "process tree killed");
        }
        if (exitCode == 0) {
            return new JobResult(job.jobId(), JobStatus.SUCCEEDED, TextNode.valueOf(output), 0, null);
        }
        return new JobResult(job.jobId(), JobStatus.FAILED, TextNode.valueOf(output), exitCode,
                "exited with code " + exitCode + (errors.isEmpty() ? "" : ": " + errors));
    }

    /**
     * SIGTERM to the process and all its descendants, SIGKILL to whatever is left after {@link #KILL_GRACE}.
     * The descendants are listed first because once the parent dies they are re-parented and vanish from its tree.
     */
    static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        boolean exited;
        try {
            exited = process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // still kill below; the caller sees the flag
            exited = false;
        }
        if (!exited) {
            process.destroyForcibly();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Reads a pipe to its end on its own thread, keeping the first {@code cap} bytes and discarding the rest; every byte
     * also goes to {@code live} as {@code stream} when {@code live} is set.
     */
    private static final class Capture {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final Thread reader;

        private Capture(InputStream in, int cap, String name, OutputStreamer live, String stream) {
            this.reader = DaemonThreads.unstarted(name, () -> {
                byte[] buffer = new byte[8192];
                try (in) {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        synchronized (kept) {
                            kept.write(buffer, 0, Math.max(0, Math.min(n, cap - kept.size())));
                        }
                        if (live != null) {
                            live.write(stream, buffer, 0, n);
                        }
                    }
                } catch (IOException e) {
                    LOG.debug("pipe {} closed: {}", name, e.toString());
                }
            });
        }

        static Capture start(InputStream in, int cap, String name, OutputStreamer live, String stream) {
            Capture capture = new Capture(in, cap, name, live, stream);
            capture.reader.start();
            return capture;
        }

        String text(Duration wait) throws InterruptedException {
            reader.join(Math.max(1, wait.toMillis()));
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
