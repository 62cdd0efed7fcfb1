package dev.beacon.agent;

import java.util.concurrent.ThreadFactory;

/**
 * Named daemon platform threads for the agent. Java 17 has no {@code Thread.ofPlatform()} builder, and this module
 * runs on Java 17. Stateless and thread-safe.
 */
final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A thread named {@code name} running {@code task}, not yet started. */
    static Thread unstarted(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    /** Starts {@code task} on a new daemon thread named {@code name}. */
    static Thread start(String name, Runnable task) {
        Thread thread = unstarted(name, task);
        thread.start();
        return thread;
    }

    /** A factory of daemon threads all named {@code name} (for single-thread executors). */
    static ThreadFactory factory(String name) {
        return task -> unstarted(name, task);
    }
}
