package dev.beacon.loadtest;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small pieces every {@code beacon loadtest} report is made of. */
final class ReportParts {
    private ReportParts() {
    }

    /** The head every JSON report starts with: {@code server} is the first URL, {@code servers} all of them. */
    static Map<String, Object> head(String scenario, List<URI> servers) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("scenario", scenario);
        report.put("server", servers.getFirst().toString());
        report.put("servers", servers.stream().map(URI::toString).toList());
        report.put("at", Instant.now().toString());
        return report;
    }

    /** Server CPU microseconds per operation; NaN when there was none. */
    static double perOperation(double cpuSeconds, long operations) {
        return operations == 0 ? Double.NaN : cpuSeconds * 1e6 / operations;
    }

    /** Both summaries' errors, counted by code. */
    static Map<String, Long> merged(LatencyRecorder.Summary a, LatencyRecorder.Summary b) {
        Map<String, Long> errors = new TreeMap<>(a.errorsByCode());
        b.errorsByCode().forEach((code, n) -> errors.merge(code, n, Long::sum));
        return errors;
    }

    static String joined(List<URI> servers) {
        return String.join(", ", servers.stream().map(URI::toString).toList());
    }
}
