package dev.beacon.cli.ops;

import dev.beacon.agent.cli.Terminals;
import dev.beacon.agent.cli.VersionProvider;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Command;

/**
 * {@code beacon login --server URL [--profile NAME]}: asks for an API key without echo (or takes
 * {@code BEACON_API_KEY}, or one line on stdin), checks it against the server, then saves server, key and
 * {@code --ca-cert} as a profile in cli.toml and makes it current.
 */
@Command(name = "login", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Save a server and an API key as a profile in $${XDG_CONFIG_HOME:-~/.config}/beacon/cli.toml (mode 0600).",
                "The key is read from $BEACON_API_KEY, else asked for without echo (or read as one line from stdin).",
                "It is checked against the server before it is saved."})
final class LoginCommand extends OpsCommand {
    @Override
    int execute() {
        CliConfigFile config = CliConfigFile.fromEnvironment();
        String name = options.profileName() != null ? options.profileName() : config.currentName();
        CliConfigFile.Profile saved = config.profile(name);
        String server = ServerOptions.firstOf(options.server, System.getenv("BEACON_SERVER"), saved == null ? null : saved.server());
        if (server == null) {
            throw OpsException.usage("pass --server URL, e.g. beacon login --server https://beacon.example.com");
        }
        String caCert = ServerOptions.firstOf(options.caCert, saved == null ? null : saved.caCert());
        if (caCert != null) {
            caCert = Path.of(caCert).toAbsolutePath().normalize().toString();
        }
        String key = ServerOptions.firstOf(System.getenv("BEACON_API_KEY"));
        if (key == null) {
            key = prompt("API key for " + server + ": ");
        }
        ApiClient client = new ApiClient(server, key, caCert);
        JsonNode queue = client.get("/api/queue"); // every scope may read it: proves the key without needing admin
        config.save(name, new CliConfigFile.Profile(client.baseUrl(), key, caCert));
        err().println("Logged in to " + client.baseUrl() + " as profile " + name + " (machines connected now: "
                + queue.path("active_drivers").asInt() + "); saved to " + config.path());
        return 0;
    }

    private String prompt(String prompt) {
        err().flush();
        Console console = System.console();
        if (console != null && Terminals.isTerminal(console)) {
            char[] typed = console.readPassword("%s", prompt);
            if (typed == null || new String(typed).isBlank()) {
                throw new OpsException("no API key entered", "not_logged_in", OpsException.AUTH);
            }
            String key = new String(typed).strip();
            Arrays.fill(typed, '\0');
            return key;
        }
        String line;
        try {
            // Not closed: System.in belongs to the process, and nothing else reads it.
            line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            throw new OpsException("cannot read the API key from stdin: " + e.getMessage(), "not_logged_in", OpsException.AUTH);
        }
        if (line == null || line.isBlank()) {
            throw new OpsException("no API key: set BEACON_API_KEY, type it on a terminal or pipe it on stdin",
                    "not_logged_in", OpsException.AUTH);
        }
        return line.strip();
    }
}
