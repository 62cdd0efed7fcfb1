package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code beacon keys create|list|show|revoke|usage}: API keys, over {@code /api/api-keys} (all admin). */
@Command(name = "keys", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "API keys (rf_api_…) for scripts and integrations.",
        subcommands = {KeysCommand.CreateKey.class, KeysCommand.ListKeys.class, KeysCommand.ShowKey.class,
                KeysCommand.RevokeKey.class, KeysCommand.KeyUsage.class})
final class KeysCommand extends NounCommand {
    static List<String> headers(boolean wide) {
        return wide ? List.of("ID", "NAME", "SCOPES", "PREFIX", "LAST USED", "STATUS", "CREATED")
                : List.of("ID", "NAME", "SCOPES", "PREFIX", "LAST USED", "STATUS");
    }

    static List<String> row(Output out, JsonNode key) {
        List<String> row = new ArrayList<>(List.of(key.path("id").asText(), key.path("name").asText(),
                Output.text(key.get("scopes")), key.path("prefix").asText(), out.ago(key.get("last_used_at")),
                out.status(key.path("revoked_at").isNull() ? "active" : "revoked")));
        if (out.wide()) {
            row.add(out.ago(key.get("created_at")));
        }
        return row;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Create an API key; prints its secret once, as the last line.")
    static final class CreateKey extends OpsCommand {
        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--scope", paramLabel = "SCOPE", description = "admin, jobs or read (repeatable; server default jobs).")
        List<String> scopes = new ArrayList<>();

        @Override
        int execute() {
            ObjectNode body = ApiClient.JSON.createObjectNode().put("name", name);
            if (!scopes.isEmpty()) {
                scopes.forEach(body.putArray("scopes")::add);
            }
            JsonNode key = api().post("/api/api-keys", body);
            return print(key, () -> {
                output().line("API key " + key.path("id").asText() + " (" + key.path("name").asText() + ", scopes "
                        + Output.text(key.get("scopes")) + "); its secret is shown only now:");
                output().line(key.path("key").asText());
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "List API keys.")
    static final class ListKeys extends OpsCommand {
        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
        int limit;

        @Override
        int execute() {
            List<JsonNode> keys = list("/api/api-keys", Map.of(), limit);
            return print(array(keys), () -> output().table(headers(wide()),
                    keys.stream().map(key -> row(output(), key)).toList(), "No API keys."));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show one API key.")
    static final class ShowKey extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode key = api().get("/api/api-keys/" + ApiClient.segment(id));
            return print(key, () -> output().table(headers(true), List.of(row(output(), key))));
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Revoke an API key: it is refused from then on.")
    static final class RevokeKey extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode key = api().delete("/api/api-keys/" + ApiClient.segment(id));
            return print(key, () -> output().line("Revoked " + key.path("id").asText() + " (" + key.path("name").asText() + ")."));
        }
    }

    @Command(name = "usage", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Requests per UTC day of one API key.")
    static final class KeyUsage extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode usage = api().get("/api/api-keys/" + ApiClient.segment(id) + "/usage");
            List<List<String>> rows = new ArrayList<>();
            usage.path("days").forEach(day -> rows.add(List.of(day.path("day").asText(), day.path("requests").asText())));
            return print(usage, () -> output().table(List.of("DAY", "REQUESTS"), rows, "No requests yet."));
        }
    }
}
