package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.CredentialStore;
import dev.beacon.agent.FirstAnswering;
import dev.beacon.agent.ServerEndpoint;
import dev.beacon.agent.TokenRotation;
import dev.beacon.tokens.TokenFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.net.http.HttpClient;
import java.time.Duration;

/** {@code beacon agent rotate-token}: asks the server for a new robot token and saves it atomically. */
@Command(name = "rotate-token", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Replace the saved robot token with a new one from the server; the old token stops working.")
final class AgentRotateTokenCommand extends AgentSubcommand {
    static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Mixin
    AgentConfigOption configOption;

    @Override
    int execute() throws InterruptedException {
        AgentConfigFile file = configOption.file();
        AgentConfig config = file.read().filter(AgentConfig::enrolled).orElseThrow(() -> new AgentException(
                "Not enrolled: " + file.path() + " holds no robot token, so there is nothing to rotate."));
        CredentialStore credentials = new CredentialStore(file, config);
        HttpClient http = ServerEndpoint.of(config).httpClient();
        AgentConfig rotated = FirstAnswering.ask(ServerEndpoint.allOf(config),
                server -> TokenRotation.rotate(credentials, server, http, TIMEOUT), (unreachable, failure, next) -> {
                    out().println("Server " + unreachable.base() + " unreachable, trying " + next.base() + "...");
                    out().flush();
                });
        out().println("✓ Robot token rotated (now " + TokenFormat.mask(rotated.robotToken()) + "); saved to " + file.path());
        return 0;
    }
}
