package dev.beacon.cli.ops;

import dev.beacon.agent.cli.VersionProvider;
import picocli.CommandLine.Command;

/** {@code beacon logout [--profile NAME]}: forgets a saved profile (its server and API key). The key stays valid. */
@Command(name = "logout", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Remove a profile (the current one by default) from cli.toml.",
                "The API key itself stays valid: revoke it with beacon keys revoke ID."})
final class LogoutCommand extends OpsCommand {
    @Override
    int execute() {
        CliConfigFile config = CliConfigFile.fromEnvironment();
        String name = options.profileName() != null ? options.profileName() : config.currentName();
        if (!config.remove(name)) {
            throw new OpsException("no profile named " + name + " in " + config.path(), "not_found", OpsException.NOT_FOUND);
        }
        err().println("Removed profile " + name + " from " + config.path());
        return 0;
    }
}
