package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code beacon fleets list|show|create}: groups of machines in one site, over {@code /api/fleets}. */
@Command(name = "fleets", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Fleets: groups of machines in one site.",
        subcommands = {FleetsCommand.ListFleets.class, FleetsCommand.ShowFleet.class, FleetsCommand.CreateFleet.class})
final class FleetsCommand extends NounCommand {
    static final List<String> HEADERS = List.of("ID", "NAME", "SITE", "CREATED");

    static List<String> row(Output out, JsonNode fleet) {
        return List.of(fleet.path("id").asText(), fleet.path("name").asText(), fleet.path("site_id").asText(),
                out.ago(fleet.get("created_at")));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "List fleets.")
    static final class ListFleets extends OpsCommand {
        @Option(names = "--site", paramLabel = "SITE_ID", description = "Only this site's fleets.")
        String site;

        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
        int limit;

        @Override
        int execute() {
            Map<String, String> query = new java.util.LinkedHashMap<>();
            query.put("site_id", site);
            List<JsonNode> fleets = list("/api/fleets", query, limit);
            List<List<String>> rows = new ArrayList<>();
            fleets.forEach(fleet -> rows.add(row(output(), fleet)));
            return print(array(fleets), () -> output().table(HEADERS, rows, "No fleets."));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show one fleet.")
    static final class ShowFleet extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode fleet = api().get("/api/fleets/" + ApiClient.segment(id));
            return print(fleet, () -> output().table(HEADERS, List.of(row(output(), fleet))));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Create a fleet in a site (admin).")
    static final class CreateFleet extends OpsCommand {
        @Option(names = "--site", paramLabel = "SITE_ID", required = true)
        String site;

        @Option(names = "--name", required = true, description = "Unique in the site.")
        String name;

        @Override
        int execute() {
            JsonNode fleet = api().post("/api/fleets", ApiClient.JSON.createObjectNode().put("site_id", site).put("name", name));
            return print(fleet, () -> output().line(fleet.path("id").asText()));
        }
    }
}
