package dev.beacon.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The server's resource figures as read from its {@code /metrics}, for the load report. {@code liveDataMb}
 * is the old generation after the last full collection ({@code jvm_gc_live_data_size_bytes}).
 */
record ServerMetrics(double residentMb, double heapUsedMb, double processCpu, double cpuSecondsTotal, double liveDataMb) {

    /** Scrapes {@code server/metrics}; NaN for whatever could not be read. */
    static ServerMetrics scrape(HttpClient client, URI server) {
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.resolve("/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            return new ServerMetrics(sum(text, "process_resident_memory_bytes") / 1e6,
                    sum(text, "jvm_memory_used_bytes{area=\"heap\"") / 1e6,
                    sum(text, "process_cpu_usage"), sum(text, "process_cpu_time_ns_total") / 1e9,
                    sum(text, "jvm_gc_live_data_size_bytes") / 1e6);
        } catch (IOException e) {
            return unknown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unknown();
        }
    }

    /**
     * Asks the server process {@code pid} (on this machine) for a full collection with {@code jcmd PID GC.run},
     * waits a second for the heap to shrink, then scrapes: so that memory per connection compares live data,
     * not garbage. Without a pid, a plain scrape.
     */
    static ServerMetrics scrapeAfterGc(HttpClient client, java.util.List<URI> servers, Long pid) throws InterruptedException {
        if (pid != null) {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            try {
                Process process = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid), "GC.run")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                Thread.sleep(1000);
            } catch (IOException e) {
                // no jcmd here: a plain scrape is the best this machine offers
            }
        }
        return scrape(client, servers);
    }

    /**
     * The figures of several servers (nodes) added up: memory and CPU of them all. A server that does not answer adds
     * nothing; NaN only when none answers.
     */
    static ServerMetrics scrape(HttpClient client, java.util.List<URI> servers) {
        if (servers.size() == 1) {
            return scrape(client, servers.getFirst());
        }
        double[] sums = new double[5];
        boolean[] found = new boolean[5];
        for (URI server : servers) {
            ServerMetrics one = scrape(client, server);
            double[] values = {one.residentMb(), one.heapUsedMb(), one.processCpu(), one.cpuSecondsTotal(), one.liveDataMb()};
            for (int i = 0; i < values.length; i++) {
                if (!Double.isNaN(values[i])) {
                    sums[i] += values[i];
                    found[i] = true;
                }
            }
        }
        return new ServerMetrics(found[0] ? sums[0] : Double.NaN, found[1] ? sums[1] : Double.NaN, found[2] ? sums[2] : Double.NaN,
                found[3] ? sums[3] : Double.NaN, found[4] ? sums[4] : Double.NaN);
    }

    static ServerMetrics unknown() {
        return new ServerMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** Sums every sample whose line starts with {@code prefix} (a name, or a name with the start of its labels). */
    private static double sum(String text, String prefix) {
        double total = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix) && (line.charAt(prefix.length()) == ' ' || line.charAt(prefix.length()) == '{'
                    || prefix.endsWith("\"") || prefix.contains("{"))) {
                String[] parts = line.trim().split(" ");
                try {
                    total += Double.parseDouble(parts[parts.length - 1]);
                    found = true;
                } catch (NumberFormatException ignored) {
                    // a malformed sample line counts as absent
                }
            }
        }
        return found ? total : Double.NaN;
    }
}
