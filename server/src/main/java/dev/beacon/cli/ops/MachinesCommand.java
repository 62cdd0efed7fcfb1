package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code beacon machines list|show|pause|resume|remove|revoke-token|rotate-token}: enrolled machines (robots), over
 * {@code /api/robots}.
 */
@Command(name = "machines", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Enrolled machines (robots) and their agents.",
        subcommands = {MachinesCommand.ListMachines.class, MachinesCommand.ShowMachine.class, MachinesCommand.Pause.class,
                MachinesCommand.Resume.class, MachinesCommand.Remove.class, MachinesCommand.RevokeToken.class,
                MachinesCommand.RotateToken.class})
final class MachinesCommand extends NounCommand {
    static List<String> headers(boolean wide) {
        List<String> headers = new ArrayList<>(List.of("ID", "NAME", "STATUS", "FLEET", "LAST SEEN", "JOB"));
        if (wide) {
            headers.addAll(List.of("SITE", "IP", "HOSTNAME", "VERSION", "CAPABILITIES", "LABELS", "NODE"));
        }
        return headers;
    }

    static String status(Output out, JsonNode robot) {
        return out.status(robot.path("status").asText()) + (robot.path("paused").asBoolean() ? " (paused)" : "");
    }

    static List<String> row(Output out, JsonNode robot) {
        List<String> row = new ArrayList<>(List.of(robot.path("id").asText(), robot.path("name").asText(), status(out, robot),
                robot.path("fleet_id").asText(), out.ago(robot.get("last_seen_at")), Output.text(robot.get("current_job"))));
        if (out.wide()) {
            for (String field : List.of("site_id", "ip", "hostname", "agent_version", "capabilities", "labels", "node")) {
                row.add(Output.text(robot.get(field)));
            }
        }
        return row;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "List machines (not removed ones).")
    static final class ListMachines extends OpsCommand {
        @Option(names = "--status", description = "online, busy or offline.")
        String status;

        @Option(names = "--site", paramLabel = "SITE_ID")
        String site;

        @Option(names = "--fleet", paramLabel = "FLEET_ID")
        String fleet;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only machines with this label (repeatable; all must match).")
        List<String> labels = new ArrayList<>();

        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
        int limit;

        @Override
        int execute() {
            Map<String, String> wanted = JobsCommand.labels(labels, "--label");
            Map<String, String> query = new LinkedHashMap<>();
            query.put("status", status);
            query.put("site_id", site);
            query.put("fleet_id", fleet);
            // The API has no label filter: read the pages and keep the matching machines here.
            List<JsonNode> robots = list("/api/robots", query, wanted.isEmpty() ? limit : 10_000).stream()
                    .filter(robot -> wanted.entrySet().stream().allMatch(label ->
                            label.getValue().equals(robot.path("labels").path(label.getKey()).asText(null))))
                    .limit(limit).toList();
            return print(array(robots), () -> output().table(headers(wide()),
                    robots.stream().map(robot -> row(output(), robot)).toList(), "No machines."));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show one machine, its last connections and jobs.")
    static final class ShowMachine extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode robot = api().get("/api/robots/" + ApiClient.segment(id));
            return print(robot, () -> {
                Output out = output();
                out.fields(List.of(new String[] {"ID", robot.path("id").asText()}, new String[] {"Name", robot.path("name").asText()},
                        new String[] {"Status", status(out, robot)}, new String[] {"Site", Output.text(robot.get("site_id"))},
                        new String[] {"Fleet", Output.text(robot.get("fleet_id"))},
                        new String[] {"Last seen", out.ago(robot.get("last_seen_at"))},
                        new String[] {"Current job", Output.text(robot.get("current_job"))},
                        new String[] {"IP", Output.text(robot.get("ip"))}, new String[] {"Hostname", Output.text(robot.get("hostname"))},
                        new String[] {"OS / arch", Output.text(robot.get("os")) + " / " + Output.text(robot.get("arch"))},
                        new String[] {"Agent", Output.text(robot.get("agent_version"))},
                        new String[] {"Capabilities", Output.text(robot.get("capabilities"))},
                        new String[] {"Labels", Output.text(robot.get("labels"))}, new String[] {"Node", Output.text(robot.get("node"))},
                        new String[] {"Enrolled", out.ago(robot.get("enrolled_at")) + " with " + Output.text(robot.get("enrollment_key_id"))}));
                List<List<String>> connections = new ArrayList<>();
                robot.path("connections").forEach(c -> connections.add(List.of(c.path("session_id").asText(), Output.text(c.get("ip")),
                        out.ago(c.get("connected_at")), c.path("disconnected_at").isNull() ? "live" : out.ago(c.get("disconnected_at")),
                        Output.text(c.get("reason")))));
                if (!connections.isEmpty()) {
                    out.line("");
                    out.table(List.of("SESSION", "IP", "CONNECTED", "ENDED", "REASON"), connections);
                }
                List<List<String>> jobs = new ArrayList<>();
                robot.path("jobs").forEach(job -> jobs.add(List.of(job.path("id").asText(), job.path("kind").asText(),
                        out.status(job.path("status").asText()), out.ago(job.get("created_at")))));
                if (!jobs.isEmpty()) {
                    out.line("");
                    out.table(List.of("JOB", "KIND", "STATUS", "CREATED"), jobs);
                }
            });
        }
    }

    /** A verb that POSTs to {@code /api/robots/{id}/<action>} and prints the machine it answers with. */
    abstract static class RobotAction extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        abstract String action();

        abstract String done();

        @Override
        int execute() {
            JsonNode robot = api().post("/api/robots/" + ApiClient.segment(id) + "/" + action(), null);
            return print(robot, () -> output().line(done() + " " + robot.path("name").asText(id) + " (" + id.strip() + ")."));
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Give the machine no new jobs (a running one finishes).")
    static final class Pause extends RobotAction {
        String action() {
            return "pause";
        }

        String done() {
            return "Paused";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Give the machine jobs again.")
    static final class Resume extends RobotAction {
        String action() {
            return "resume";
        }

        String done() {
            return "Resumed";
        }
    }

    @Command(name = "revoke-token", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Revoke the machine's token; its agent stops with exit 3 until enrolled again with --replace.")
    static final class RevokeToken extends RobotAction {
        String action() {
            return "revoke-token";
        }

        String done() {
            return "Revoked the token of";
        }
    }

    @Command(name = "rotate-token", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Send the connected agent a new token; the old one works until the agent has saved it.")
    static final class RotateToken extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode answer = api().post("/api/robots/" + ApiClient.segment(id) + "/rotate-token", null);
            return print(answer, () -> output().line("Sent a new token to " + id.strip()
                    + "; the old one stops working once its agent has saved the new one."));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Remove the machine: its token is revoked, its agent stops with exit 3, its name is free again.")
    static final class Remove extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            api().delete("/api/robots/" + ApiClient.segment(id));
            if (json()) {
                output().json(ApiClient.JSON.createObjectNode().put("id", id.strip()).put("removed", true));
            } else {
                output().line("Removed " + id.strip() + ".");
            }
            return 0;
        }
    }
}
