package dev.beacon.agent.cli;

import picocli.CommandLine.Command;

/**
 * {@code beacon agent}: the agent side of Beacon — enroll this machine, run the agent, show what is saved, rotate the
 * token. Picocli creates one instance per invocation; it holds no state.
 */
@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run this machine as a Beacon agent.",
        subcommands = {AgentEnrollCommand.class, AgentRunCommand.class, AgentStatusCommand.class,
                AgentRotateTokenCommand.class})
public final class AgentCommand {
}
