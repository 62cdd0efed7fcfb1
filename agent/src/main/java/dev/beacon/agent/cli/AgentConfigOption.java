package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfigFile;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --config PATH} option every agent subcommand takes; a picocli mixin, one per invocation. */
final class AgentConfigOption {
    @Option(names = "--config", paramLabel = "PATH",
            description = "agent.toml to use (default: $XDG_CONFIG_HOME/roboflare/agent.toml, else $HOME/.config/roboflare/agent.toml).")
    Path config;

    /** The config file this invocation uses. */
    AgentConfigFile file() {
        return AgentConfigFile.forCurrentUser(config);
    }
}
