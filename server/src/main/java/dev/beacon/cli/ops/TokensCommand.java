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

/**
 * {@code beacon tokens create|list|show|revoke|reveal}: enrollment keys, over {@code /api/enrollment-keys}. A new key
 * is printed once, with the one-line install command the dashboard shows.
 */
@Command(name = "tokens", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Enrollment keys (rf_enroll_…): what a machine trades once for its own robot token.",
        subcommands = {TokensCommand.CreateToken.class, TokensCommand.ListTokens.class, TokensCommand.ShowToken.class,
                TokensCommand.RevokeToken.class, TokensCommand.RevealToken.class})
final class TokensCommand extends NounCommand {
    static List<String> headers(boolean wide) {
        return wide ? List.of("ID", "NAME", "STATUS", "USES", "EXPIRES", "SITE", "FLEET", "PREFIX", "NETWORKS", "CREATED")
                : List.of("ID", "NAME", "STATUS", "USES", "EXPIRES", "FLEET");
    }

    static List<String> row(Output out, JsonNode key) {
        List<String> row = new ArrayList<>(List.of(key.path("id").asText(), key.path("name").asText(),
                out.status(key.path("status").asText()), key.path("uses").asText() + "/" + key.path("max_uses").asText(),
                out.ago(key.get("expires_at"))));
        if (out.wide()) {
            row.addAll(List.of(key.path("site_id").asText(), key.path("fleet_id").asText(), key.path("key_prefix").asText(),
                    Output.text(key.get("allowed_cidrs")), out.ago(key.get("created_at"))));
        } else {
            row.add(key.path("fleet_id").asText());
        }
        return row;
    }

    /** The one-line installer and the plain enroll command, as the dashboard shows them; neither carries the key. */
    static List<String> installLines(String serverUrl) {
        String name = "\"$(hostname)\"";
        return List.of("curl -fsSL " + serverUrl + "/install.sh | sudo sh -s -- --name " + name,
                "beacon-agent enroll --server " + serverUrl + " --name " + name);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Create an enrollment key for one fleet (admin).",
                    "Prints the key and the one-line install command to run on each machine (it asks for the key without echo)."})
    static final class CreateToken extends OpsCommand {
        @Option(names = "--fleet", paramLabel = "FLEET_ID", required = true, description = "Fleet the machines join.")
        String fleet;

        @Option(names = "--site", paramLabel = "SITE_ID", description = "The fleet's site (default: read from the fleet).")
        String site;

        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--max-uses", paramLabel = "N", description = "How many machines may enroll with it (server default 100; 1 = one-time).")
        Integer maxUses;

        @Option(names = "--expires-in-hours", paramLabel = "H", description = "1 to 8760 (server default 24).")
        Integer expiresInHours;

        @Option(names = "--allowed-cidr", paramLabel = "CIDR", description = "Only from this network, e.g. 10.20.0.0/16 (repeatable).")
        List<String> allowedCidrs = new ArrayList<>();

        @Override
        int execute() {
            String siteId = site != null ? site : api().get("/api/fleets/" + ApiClient.segment(fleet)).path("site_id").asText();
            ObjectNode body = ApiClient.JSON.createObjectNode().put("site_id", siteId).put("fleet_id", fleet).put("name", name);
            if (maxUses != null) {
                body.put("max_uses", maxUses);
            }
            if (expiresInHours != null) {
                body.put("expires_in_hours", expiresInHours);
            }
            if (!allowedCidrs.isEmpty()) {
                allowedCidrs.forEach(body.putArray("allowed_cidrs")::add);
            }
            JsonNode key = api().post("/api/enrollment-keys", body);
            return print(key, () -> {
                Output out = output();
                out.line("Enrollment key " + key.path("id").asText() + " (" + key.path("name").asText() + "): "
                        + key.path("max_uses").asText() + " uses, expires " + out.ago(key.get("expires_at")) + ".");
                out.line("");
                out.line("Key (keep it secret; beacon tokens reveal " + key.path("id").asText() + " shows it again):");
                out.line("  " + key.path("key_value").asText());
                out.line("");
                List<String> lines = installLines(api().baseUrl());
                out.line("Install and enroll on each machine (asks for the key without echo):");
                out.line("  " + lines.get(0));
                out.line("Or, where the agent is installed already:");
                out.line("  " + lines.get(1));
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "List enrollment keys.")
    static final class ListTokens extends OpsCommand {
        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
        int limit;

        @Override
        int execute() {
            List<JsonNode> keys = list("/api/enrollment-keys", Map.of(), limit);
            return print(array(keys), () -> output().table(headers(wide()),
                    keys.stream().map(key -> row(output(), key)).toList(), "No enrollment keys."));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show one enrollment key (not its value; see reveal).")
    static final class ShowToken extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode key = api().get("/api/enrollment-keys/" + ApiClient.segment(id));
            return print(key, () -> {
                Output out = output();
                out.fields(List.of(new String[] {"ID", key.path("id").asText()}, new String[] {"Name", key.path("name").asText()},
                        new String[] {"Status", out.status(key.path("status").asText())},
                        new String[] {"Uses", key.path("uses").asText() + " of " + key.path("max_uses").asText()},
                        new String[] {"Site", key.path("site_id").asText()}, new String[] {"Fleet", key.path("fleet_id").asText()},
                        new String[] {"Prefix", key.path("key_prefix").asText()},
                        new String[] {"Networks", Output.text(key.get("allowed_cidrs"))},
                        new String[] {"Expires", out.ago(key.get("expires_at")) + " (" + key.path("expires_at").asText() + ")"},
                        new String[] {"Created", out.ago(key.get("created_at"))},
                        new String[] {"Revoked", key.path("revoked_at").isNull() ? "-" : out.ago(key.get("revoked_at"))}));
            });
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Revoke an enrollment key (admin): it enrolls no more machines.",
                    "With --cascade, also revoke the tokens of every machine enrolled with it (their agents stop with exit 3)."})
    static final class RevokeToken extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--cascade", description = "Also revoke the robot tokens of the machines enrolled with it.")
        boolean cascade;

        @Override
        int execute() {
            JsonNode key = api().post("/api/enrollment-keys/" + ApiClient.segment(id) + "/revoke",
                    ApiClient.JSON.createObjectNode().put("cascade", cascade));
            return print(key, () -> output().line("Revoked " + key.path("id").asText() + " (" + key.path("name").asText() + ")"
                    + (cascade ? ", and the tokens of the machines enrolled with it" : "") + "."));
        }
    }

    @Command(name = "reveal", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Print an enrollment key's value (needs an admin API key).")
    static final class RevealToken extends OpsCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int execute() {
            JsonNode key = api().get("/api/enrollment-keys/" + ApiClient.segment(id));
            if (!key.path("key_value").isTextual()) {
                throw new OpsException("this API key may not read enrollment key values; use an admin key", "forbidden",
                        OpsException.AUTH);
            }
            return print(key, () -> output().line(key.get("key_value").asText()));
        }
    }
}
