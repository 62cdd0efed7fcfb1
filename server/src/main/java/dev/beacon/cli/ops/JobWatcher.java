package dev.beacon.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Follows one job until it ends, by reading it twice a second: status changes and the machine it runs on go to
 * stderr, and the outcome becomes the exit code (the handler's exit code when it has one, else 0 succeeded, 1 failed,
 * 124 timed_out, 130 cancelled). Not thread-safe; one per command.
 */
final class JobWatcher {
    static final long POLL_MS = 500;
    static final long OUTAGE_MS = 120_000;

    private final ApiClient api;
    private final PrintWriter progress;
    private final Output output;
    private final boolean json;
    private final Map<String, String> machineNames = new HashMap<>();

    JobWatcher(ApiClient api, PrintWriter progress, Output output, boolean json) {
        this.api = api;
        this.progress = progress;
        this.output = output;
        this.json = json;
    }

    /** Follows {@code job} (as last read) to its end; prints the final job as JSON when asked for. */
    int follow(JsonNode job) throws InterruptedException {
        String id = job.path("id").asText();
        String lastLine = null;
        while (true) {
            String line = describe(job);
            if (!Objects.equals(line, lastLine)) {
                progress.println(id + ": " + line);
                progress.flush();
                lastLine = line;
            }
            String status = job.path("status").asText();
            if (isFinal(status)) {
                if (json) {
                    output.json(job);
                }
                return exitCode(job);
            }
            Thread.sleep(POLL_MS);
            job = poll(id);
        }
    }

    /**
     * Reads the job again. A server that cannot be reached or answers 5xx (a node restarting, a proxy switching) is
     * retried for up to {@link #OUTAGE_MS}, with one line on stderr; any other refusal ends the wait.
     */
    private JsonNode poll(String id) throws InterruptedException {
        long giveUpAt = 0;
        while (true) {
            try {
                JsonNode job = api.get("/api/jobs/" + ApiClient.segment(id));
                if (giveUpAt != 0) {
                    progress.println(id + ": the server answers again");
                }
                return job;
            } catch (OpsException e) {
                boolean transient_ = e.code().equals("server_unreachable") || e.code().equals("server_timeout")
                        || e.code().equals("internal_error") || e.code().startsWith("http_5");
                if (!transient_) {
                    throw e;
                }
                long now = System.currentTimeMillis();
                if (giveUpAt == 0) {
                    giveUpAt = now + OUTAGE_MS;
                    progress.println(id + ": " + e.getMessage() + "; retrying for up to " + OUTAGE_MS / 1000 + " s");
                    progress.flush();
                } else if (now > giveUpAt) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }

    static boolean isFinal(String status) {
        return switch (status) {
            case "succeeded", "failed", "timed_out", "cancelled" -> true;
            default -> false;
        };
    }

    /** The handler's exit code when the job has one, else 0 succeeded, 1 failed, 124 timed_out, 130 cancelled. */
    static int exitCode(JsonNode job) {
        if (job.path("exit_code").isIntegralNumber()) {
            return job.get("exit_code").asInt();
        }
        return switch (job.path("status").asText()) {
            case "succeeded" -> 0;
            case "timed_out" -> 124;
            case "cancelled" -> 130;
            default -> 1;
        };
    }

    private String describe(JsonNode job) {
        String status = job.path("status").asText();
        StringBuilder line = new StringBuilder(status);
        if (job.path("robot_id").isTextual() && !status.equals("queued")) {
            line.append(status.equals("assigned") ? " to " : " on ").append(machine(job.get("robot_id").asText()));
        }
        if (job.path("attempts").asInt() > 1) {
            line.append(" (attempt ").append(job.path("attempts").asInt()).append(" of ").append(job.path("max_attempts").asInt())
                    .append(")");
        }
        if (status.equals("queued") && job.path("waiting_reason").isTextual()) {
            line.append(": ").append(job.get("waiting_reason").asText());
        }
        if (isFinal(status)) {
            if (job.path("exit_code").isIntegralNumber()) {
                line.append(", exit code ").append(job.get("exit_code").asInt());
            } else if (job.path("error").isTextual()) {
                line.append(": ").append(job.get("error").asText());
            }
        }
        return line.toString();
    }

    /** "bot-1 (rob_…)", or the id alone when this key may not read machines. */
    private String machine(String robotId) {
        return machineNames.computeIfAbsent(robotId, id -> {
            try {
                return api.get("/api/robots/" + ApiClient.segment(id)).path("name").asText(id) + " (" + id + ")";
            } catch (OpsException e) {
                return id;
            }
        });
    }
}
