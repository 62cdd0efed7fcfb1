package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code beacon nodes}: the server nodes on this database, over {@code GET /api/cluster/nodes} (admin). */
@Command(name = "nodes", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "The server nodes of this control plane (admin).")
final class NodesCommand extends OpsCommand {
    @Override
    int execute() {
        JsonNode nodes = api().get("/api/cluster/nodes");
        List<List<String>> rows = new ArrayList<>();
        nodes.path("items").forEach(node -> rows.add(List.of(node.path("name").asText(), output().status(node.path("status").asText()),
                Output.text(node.get("url")), node.path("agents_connected").asText(), output().ago(node.get("last_heartbeat_at")),
                output().ago(node.get("started_at")))));
        return print(nodes.path("items"), () -> output().table(List.of("NAME", "STATUS", "URL", "AGENTS", "HEARTBEAT", "STARTED"),
                rows, "No nodes."));
    }
}
