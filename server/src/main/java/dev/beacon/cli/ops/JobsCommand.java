package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code beacon jobs submit|list|show|cancel|wait}: work for machines, over {@code /api/jobs}. */
@Command(name = "jobs", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Jobs: work handed to a matching idle machine.",
        subcommands = {JobsCommand.Submit.class, JobsCommand.ListJobs.class, JobsCommand.ShowJob.class,
                JobsCommand.CancelJob.class, JobsCommand.WaitJob.class})
final class JobsCommand extends NounCommand {
    static List<String> headers(boolean wide) {
        List<String> headers = new ArrayList<>(List.of("ID", "KIND", "STATUS", "MACHINE", "ATTEMPTS", "CREATED"));
        if (wide) {
            headers.addAll(List.of("PRIORITY", "EXIT", "FINISHED", "ERROR / WAITING"));
        }
        return headers;
    }

    static List<String> row(Output out, JsonNode job) {
        List<String> row = new ArrayList<>(List.of(job.path("id").asText(), job.path("kind").asText(),
                out.status(job.path("status").asText()), Output.text(job.get("robot_id")),
                job.path("attempts").asText() + "/" + job.path("max_attempts").asText(), out.ago(job.get("created_at"))));
        if (out.wide()) {
            String why = job.path("waiting_reason").isTextual() ? job.get("waiting_reason").asText() : Output.text(job.get("error"));
            row.addAll(List.of(job.path("priority").asText(), Output.text(job.get("exit_code")),
                    job.path("finished_at").isNull() ? "-" : out.ago(job.get("finished_at")), why));
        }
        return row;
    }

    /** {@code K=V} items as a map; a malformed one is a usage error naming {@code option}. */
    static Map<String, String> labels(List<String> items, String option) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw OpsException.usage(option + " takes KEY=VALUE; got '" + item + "'");
            }
            labels.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return labels;
    }

    /** The {@code target} object of {@code --target} items: robot=ID, machine=ID, fleet=ID, site=ID, capability=C, label=K=V. */
    static ObjectNode target(List<String> items) {
        ObjectNode target = ApiClient.JSON.createObjectNode();
        List<String> capabilities = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            String kind = eq < 0 ? item : item.substring(0, eq);
            String value = eq < 0 ? "" : item.substring(eq + 1);
            if (value.isBlank()) {
                throw OpsException.usage("--target takes robot=ID, fleet=ID, site=ID, capability=C or label=K=V; got '" + item + "'");
            }
            String field = switch (kind) {
                case "robot", "machine" -> "robot_id";
                case "fleet" -> "fleet_id";
                case "site" -> "site_id";
                case "capability" -> {
                    capabilities.add(value);
                    yield null;
                }
                case "label" -> {
                    labels.add(value);
                    yield null;
                }
                default -> throw OpsException.usage("--target takes robot=ID, fleet=ID, site=ID, capability=C or label=K=V; got '"
                        + item + "'");
            };
            if (field != null) {
                if (target.has(field)) {
                    throw OpsException.usage("--target " + kind + "= given twice; a job has one " + kind);
                }
                target.put(field, value);
            }
        }
        if (!capabilities.isEmpty()) {
            capabilities.forEach(target.putArray("capabilities")::add);
        }
        if (!labels.isEmpty()) {
            ObjectNode labelNode = target.putObject("labels");
            labels(labels, "--target label=").forEach(labelNode::put);
        }
        return target;
    }

    /** Seconds from "90", "90s", "5m" or "2h". */
    static int seconds(String text, String option) {
        String value = text.strip().toLowerCase(java.util.Locale.ROOT);
        int unit = 1;
        if (value.endsWith("s")) {
            value = value.substring(0, value.length() - 1);
        } else if (value.endsWith("m")) {
            unit = 60;
            value = value.substring(0, value.length() - 1);
        } else if (value.endsWith("h")) {
            unit = 3600;
            value = value.substring(0, value.length() - 1);
        }
        try {
            return Math.multiplyExact(Integer.parseInt(value), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw OpsException.usage(option + " takes seconds, or a number with s, m or h (e.g. 90, 5m); got '" + text + "'");
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Submit a job. Prints its id; with --wait, follows it on stderr and exits with its outcome:",
                    "the handler's exit code when it has one, else 0 succeeded, 1 failed, 124 timed_out, 130 cancelled."})
    static final class Submit extends OpsCommand {
        @Option(names = "--kind", required = true, description = "The handler to run, e.g. echo, sleep, backup.")
        String kind;

        @Option(names = "--payload", paramLabel = "JSON|@FILE|-",
                description = "JSON handed to the handler: inline, @file, or - for stdin (default {}).")
        String payload;

        @Option(names = "--target", paramLabel = "SPEC",
                description = "robot=ID, fleet=ID, site=ID, capability=C or label=K=V (repeatable, all must match; none: any machine).")
        List<String> targets = new ArrayList<>();

        @Option(names = "--priority", description = "Higher runs first (default 0).")
        Integer priority;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "Per attempt: seconds, or 90s, 5m, 2h (default 300 s).")
        String timeout;

        @Option(names = "--attempts", paramLabel = "N", description = "At most this many attempts, 1-10 (default 3).")
        Integer attempts;

        @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Submitting the same key again returns the first job.")
        String idempotencyKey;

        @Option(names = "--wait", description = "Follow the job to its end and exit with its outcome.")
        boolean waitForIt;

        @Override
        int execute() throws InterruptedException {
            ObjectNode body = ApiClient.JSON.createObjectNode().put("kind", kind);
            if (payload != null) {
                body.set("payload", payload());
            }
            if (!targets.isEmpty()) {
                body.set("target", target(targets));
            }
            if (priority != null) {
                body.put("priority", priority);
            }
            if (timeout != null) {
                body.put("timeout_s", seconds(timeout, "--timeout"));
            }
            if (attempts != null) {
                body.put("max_attempts", attempts);
            }
            Map<String, String> headers = idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey);
            ApiClient.Answer answer = api().send("POST", "/api/jobs", body, headers);
            JsonNode job = answer.body();
            if (answer.status() == 200) {
                err().println(job.path("id").asText() + " was submitted before with this idempotency key; following that job.");
            }
            if (!waitForIt) {
                return print(job, () -> output().line(job.path("id").asText()));
            }
            if (!json()) {
                output().line(job.path("id").asText());
                out().flush();
            }
            return new JobWatcher(api(), err(), output(), json()).follow(job);
        }

        private JsonNode payload() {
            String text;
            try {
                if (payload.equals("-")) {
                    InputStream in = System.in;
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } else if (payload.startsWith("@")) {
                    text = Files.readString(Path.of(payload.substring(1)));
                } else {
                    text = payload;
                }
            } catch (IOException e) {
                throw OpsException.usage("cannot read the payload from " + payload + ": " + e.getMessage());
            }
            try {
                return ApiClient.JSON.readTree(text);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw OpsException.usage("the payload is not JSON: " + e.getOriginalMessage());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "List jobs, oldest first.")
    static final class ListJobs extends OpsCommand {
        @Option(names = "--status", description = "queued, assigned, running, succeeded, failed, timed_out or cancelled.")
        String status;

        @Option(names = "--machine", paramLabel = "ROBOT_ID", description = "Jobs held by, or last run on, this machine.")
        String machine;

        @Option(names = "--kind")
        String kind;

        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
        int limit;

        @Override
        int execute() {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("status", status);
            query.put("robot_id", machine);
            query.put("kind", kind);
            List<JsonNode> jobs = list("/api/jobs", query, limit);
            return print(array(jobs), () -> output().table(headers(wide()),
                    jobs.stream().map(job -> row(output(), job)).toList(), "No jobs."));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show one job, its output and error.")
    static final class ShowJob extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode job = api().get("/api/jobs/" + ApiClient.segment(id));
            return print(job, () -> {
                Output out = output();
                List<String[]> fields = new ArrayList<>();
                fields.add(new String[] {"ID", job.path("id").asText()});
                fields.add(new String[] {"Kind", job.path("kind").asText()});
                fields.add(new String[] {"Status", out.status(job.path("status").asText())
                        + (job.path("cancel_requested").asBoolean() ? " (cancel requested)" : "")});
                fields.add(new String[] {"Machine", Output.text(job.get("robot_id"))});
                fields.add(new String[] {"Attempts", job.path("attempts").asText() + " of " + job.path("max_attempts").asText()});
                fields.add(new String[] {"Priority", job.path("priority").asText()});
                fields.add(new String[] {"Timeout", job.path("timeout_s").asText() + " s"});
                fields.add(new String[] {"Target", Output.text(compact(job.get("target")))});
                fields.add(new String[] {"Payload", job.path("payload").toString()});
                if (job.path("waiting_reason").isTextual()) {
                    fields.add(new String[] {"Waiting", job.get("waiting_reason").asText()});
                }
                fields.add(new String[] {"Exit code", Output.text(job.get("exit_code"))});
                fields.add(new String[] {"Error", Output.text(job.get("error"))});
                fields.add(new String[] {"Created", out.ago(job.get("created_at"))});
                fields.add(new String[] {"Finished", job.path("finished_at").isNull() ? "-" : out.ago(job.get("finished_at"))});
                fields.add(new String[] {"Idempotency key", Output.text(job.get("idempotency_key"))});
                out.fields(fields);
                JsonNode output = job.get("output");
                if (output != null && !output.isNull()) {
                    out.line("");
                    out.line("Output:");
                    out.line(output.isTextual() ? output.asText().stripTrailing() : output.toString());
                }
            });
        }

        /** The target's set parts only, "any machine" when none is. */
        private static JsonNode compact(JsonNode target) {
            ObjectNode set = ApiClient.JSON.createObjectNode();
            if (target != null) {
                target.fields().forEachRemaining(field -> {
                    JsonNode value = field.getValue();
                    if (!value.isNull() && !(value.isContainerNode() && value.isEmpty())) {
                        set.set(field.getKey(), value);
                    }
                });
            }
            return set.isEmpty() ? ApiClient.JSON.getNodeFactory().textNode("any machine") : set;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Cancel a job: a queued one ends at once, a running one is stopped by its agent.")
    static final class CancelJob extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            ApiClient.Answer answer = api().send("POST", "/api/jobs/" + ApiClient.segment(id) + "/cancel", null, Map.of());
            JsonNode job = answer.body();
            return print(job, () -> output().line(answer.status() == 202
                    ? "Asked the agent running " + job.path("id").asText() + " to stop it; follow with beacon jobs wait " + job.path("id").asText() + "."
                    : job.path("id").asText() + " is " + job.path("status").asText() + "."));
        }
    }

    @Command(name = "wait", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Follow a job to its end on stderr and exit with its outcome:",
                    "the handler's exit code when it has one, else 0 succeeded, 1 failed, 124 timed_out, 130 cancelled."})
    static final class WaitJob extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() throws InterruptedException {
            JsonNode job = api().get("/api/jobs/" + ApiClient.segment(id));
            return new JobWatcher(api(), err(), output(), json()).follow(job);
        }
    }
}
