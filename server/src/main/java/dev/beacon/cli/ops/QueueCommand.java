package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.dashboard.Fmt;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code beacon queue}: the organization's queue at a glance, over {@code GET /api/queue}. */
@Command(name = "queue", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "The queue at a glance: queued jobs, average wait, machines online, busy and offline.")
final class QueueCommand extends OpsCommand {
    @Override
    int execute() {
        JsonNode queue = api().get("/api/queue");
        return print(queue, () -> {
            Output out = output();
            out.fields(List.of(new String[] {"Queued", queue.path("jobs_queued").asText()},
                    new String[] {"Average wait", Fmt.seconds(queue.path("avg_wait_s").asDouble()) + " (last hour)"},
                    new String[] {"Machines", queue.path("online").asText() + " online, " + queue.path("busy").asText() + " busy, "
                            + queue.path("offline").asText() + " offline"}));
            for (String[] group : List.of(new String[] {"wait_by_fleet", "FLEET"}, new String[] {"wait_by_kind", "KIND"})) {
                List<List<String>> rows = new ArrayList<>();
                queue.path(group[0]).forEach(entry -> rows.add(List.of(entry.path("name").asText(), entry.path("jobs_queued").asText(),
                        Fmt.seconds(entry.path("avg_wait_s").asDouble()))));
                if (!rows.isEmpty()) {
                    out.line("");
                    out.table(List.of(group[1], "QUEUED", "AVG WAIT"), rows);
                }
            }
        });
    }
}
