package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.CredentialStore;
import dev.beacon.agent.ServerEndpoint;
import dev.beacon.agent.TokenRotation;
import dev.beacon.tokens.TokenFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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
        AgentConfig rotated = TokenRotation.rotate(new CredentialStore(file, config), ServerEndpoint.of(config).httpClient(),
                TIMEOUT);
        out().println("✓ Robot token rotated (now " + TokenFormat.mask(rotated.robotToken()) + "); saved to " + file.path());
        return 0;
    }
}
