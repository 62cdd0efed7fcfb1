package dev.beacon.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The server's resource figures as read from its {@code /metrics}, for the load report. */
record ServerMetrics(double residentMb, double heapUsedMb, double processCpu, double cpuSecondsTotal) {

    /** Scrapes {@code server/metrics}; NaN for whatever could not be read. */
    static ServerMetrics scrape(HttpClient client, URI server) {
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.resolve("/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            return new ServerMetrics(sum(text, "process_resident_memory_bytes") / 1e6,
                    sum(text, "jvm_memory_used_bytes{area=\"heap\"") / 1e6,
                    sum(text, "process_cpu_usage"), sum(text, "process_cpu_time_ns_total") / 1e9);
        } catch (java.io.IOException e) {
            return new ServerMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ServerMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
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
