package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code beacon audit}: the organization's audit log, newest first, over {@code GET /api/audit} (admin); {@code export} writes all of it. */
@Command(name = "audit", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "The organization's audit log, newest first (admin).",
        subcommands = AuditExportCommand.class)
final class AuditCommand extends OpsCommand {
    @Option(names = "--action", description = "Only this action, e.g. robot.removed or enrollment.refused.")
    String action;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default 50).")
    int limit;

    @Override
    int execute() {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("action", action);
        List<JsonNode> events = list("/api/audit", query, limit);
        return print(array(events), () -> output().table(List.of("WHEN", "ACTION", "ACTOR", "TARGET", "IP", "DETAIL"),
                events.stream().map(event -> List.of(output().ago(event.get("created_at")), event.path("action").asText(),
                        event.path("actor_type").asText() + (event.path("actor_id").isTextual() ? ":" + event.get("actor_id").asText() : ""),
                        Output.text(event.get("target_id")), Output.text(event.get("ip")), Output.text(event.get("detail")))).toList(),
                "No audit events."));
    }
}
