package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfigFile;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --config PATH} option every agent subcommand takes; a picocli mixin, one per invocation. */
final class AgentConfigOption {
    @Option(names = "--config", paramLabel = "PATH",
            description = "agent.toml to use (default: $BEACON_AGENT_CONFIG, else $XDG_CONFIG_HOME/roboflare/agent.toml, "
                    + "else $HOME/.config/roboflare/agent.toml; the packaged beacon-agent uses /etc/roboflare/agent.toml for root).")
    Path config;

    /** The config file this invocation uses. */
    AgentConfigFile file() {
        return AgentConfigFile.forCurrentUser(config);
    }
}
