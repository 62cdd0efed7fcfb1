package dev.beacon.loadtest;

import java.io.PrintWriter;

/** A live progress line, redrawn once a second on one daemon thread until stopped. */
final class Progress {
    private final Thread thread;

    private Progress(Thread thread) {
        this.thread = thread;
    }

    static Progress start(PrintWriter out, String scenario, LatencyRecorder recorder, long total) {
        long started = System.nanoTime();
        return start(out, () -> {
            double elapsed = (System.nanoTime() - started) / 1e9;
            String done = total > 0 ? recorder.successes() + "/" + total : Long.toString(recorder.successes());
            return String.format("%s: %s ok, %d errors, %.0f/s", scenario, done, recorder.errorCount(), recorder.successes() / elapsed);
        });
    }

    /** Redraws {@code line} once a second. */
    static Progress start(PrintWriter out, java.util.function.Supplier<String> line) {
        Thread thread = Thread.ofPlatform().daemon().name("loadtest-progress").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(1000);
                    out.print("\r" + line.get() + "   ");
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return new Progress(thread);
    }

    void stop() throws InterruptedException {
        thread.interrupt();
        thread.join();
    }
}
