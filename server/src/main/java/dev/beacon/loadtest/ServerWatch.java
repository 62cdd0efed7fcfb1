package dev.beacon.loadtest;

import java.net.URI;
import java.net.http.HttpClient;

/**
 * Scrapes the server's {@code /metrics} every period (a second unless said) on a daemon thread and keeps the peaks, so a report can
 * say how high memory went during a phase (a connect storm after a restart, say) and how many seconds the
 * server did not answer. Thread-safe; stop it once.
 */
final class ServerWatch {
    private final Thread thread;
    private volatile double peakResidentMb;
    private volatile double peakHeapUsedMb;
    private volatile int unanswered;

    private ServerWatch(HttpClient client, java.util.List<URI> servers, long periodMillis) {
        this.thread = Thread.ofPlatform().daemon().name("loadtest-server-watch").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    ServerMetrics now = ServerMetrics.scrape(client, servers);
                    if (Double.isNaN(now.residentMb())) {
                        unanswered++;
                    } else {
                        peakResidentMb = Math.max(peakResidentMb, now.residentMb());
                        peakHeapUsedMb = Math.max(peakHeapUsedMb, now.heapUsedMb());
                    }
                    Thread.sleep(periodMillis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** The peaks seen, and the number of scrapes the server did not answer (down or restarting). */
    record Peaks(double residentMb, double heapUsedMb, int unansweredScrapes) {
    }

    static ServerWatch start(HttpClient client, URI server) {
        return new ServerWatch(client, java.util.List.of(server), 1000);
    }

    /**
     * Watches several servers (nodes), their figures added up, scraping every {@code periodMillis}: each scrape costs
     * the server CPU that a measurement of its own work would count.
     */
    static ServerWatch start(HttpClient client, java.util.List<URI> servers, long periodMillis) {
        return new ServerWatch(client, servers, periodMillis);
    }

    Peaks stop() throws InterruptedException {
        thread.interrupt();
        thread.join();
        return new Peaks(peakResidentMb, peakHeapUsedMb, unanswered);
    }
}
