package dev.beacon;

import java.time.Duration;
import org.slf4j.LoggerFactory;

/**
 * The process-wide policy for errors nobody catches: an {@link Error} (a class that cannot be loaded because its
 * jar changed underneath, an out-of-memory, a stack overflow) that ends any thread is logged and ends the process
 * with exit code 70, so a supervisor such as systemd restarts it, instead of leaving a process that looks alive and
 * does nothing. An uncaught exception (not an Error) is only logged, as the JVM would. The handler runs on the
 * dying thread. It lives in the agent module (package {@code dev.beacon}) because both executables install it:
 * {@code beacon} (all commands) and {@code beacon-agent.jar} (the agent alone).
 */
public final class ExitOnError implements Thread.UncaughtExceptionHandler {
    /** The exit code after an uncaught Error (EX_SOFTWARE). */
    public static final int EXIT_CODE = 70;
    /** How long shutdown hooks get to close the server before the process halts regardless. */
    static final Duration HALT_AFTER = Duration.ofSeconds(10);

    private ExitOnError() {
    }

    /** Installs the policy for every thread of this process; both entry points call it first thing. */
    public static void install() {
        Thread.setDefaultUncaughtExceptionHandler(new ExitOnError());
    }

    @Override
    public void uncaughtException(Thread thread, Throwable failure) {
        boolean fatal = failure instanceof Error;
        // Straight to stderr first: logging may itself need classes that can no longer be loaded.
        try {
            System.err.println((fatal ? "FATAL: uncaught error in thread " : "uncaught exception in thread ") + thread.getName()
                    + ": " + failure + (fatal ? "; Beacon exits with code " + EXIT_CODE : ""));
            failure.printStackTrace(System.err);
            System.err.flush();
        } catch (Throwable ignored) {
            // nothing left to report with
        }
        if (!fatal) {
            return;
        }
        try {
            LoggerFactory.getLogger(ExitOnError.class).error("uncaught error in thread {}; exiting with code {}", thread.getName(), EXIT_CODE, failure);
        } catch (Throwable ignored) {
            // stderr has it already
        }
        // Shutdown hooks close the server cleanly; if they hang (or this thread is one of them), halt anyway.
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(HALT_AFTER.toMillis());
            } catch (InterruptedException ignored) {
                // halt now
            }
            Runtime.getRuntime().halt(EXIT_CODE);
        }, "beacon-halt");
        halt.setDaemon(true);
        halt.start();
        // Not a daemon: the JVM must not end with status 0 before it runs (when the dying thread was the last one).
        new Thread(() -> System.exit(EXIT_CODE), "beacon-exit").start();
    }
}
