package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code beacon sites list|show|create}: the organization's sites, over {@code /api/sites}. */
@Command(name = "sites", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Sites: places that hold fleets.",
        subcommands = {SitesCommand.ListSites.class, SitesCommand.ShowSite.class, SitesCommand.CreateSite.class})
final class SitesCommand extends NounCommand {
    static List<String> row(Output out, JsonNode site) {
        return List.of(site.path("id").asText(), site.path("name").asText(), out.ago(site.get("created_at")));
    }

    static final List<String> HEADERS = List.of("ID", "NAME", "CREATED");

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "List sites.")
    static final class ListSites extends OpsCommand {
        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
        int limit;

        @Override
        int execute() {
            List<JsonNode> sites = list("/api/sites", Map.of(), limit);
            return print(array(sites), () -> output().table(HEADERS,
                    sites.stream().map(site -> row(output(), site)).toList(), "No sites."));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show one site.")
    static final class ShowSite extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode site = api().get("/api/sites/" + ApiClient.segment(id));
            return print(site, () -> output().table(HEADERS, List.of(row(output(), site))));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Create a site (admin).")
    static final class CreateSite extends OpsCommand {
        @Option(names = "--name", required = true, description = "Unique in the organization.")
        String name;

        @Override
        int execute() {
            JsonNode site = api().post("/api/sites", ApiClient.JSON.createObjectNode().put("name", name));
            return print(site, () -> output().line(site.path("id").asText()));
        }
    }
}
