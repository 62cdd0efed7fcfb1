package dev.beacon.cli.ops;

import picocli.CommandLine;

/** Adds the operator commands, which talk to a server over its HTTP API, to the {@code beacon} command line. */
public final class OpsCommands {
    private OpsCommands() {
    }

    /** Registers login, logout, the nouns and completion on {@code beacon}; returns it. */
    public static CommandLine register(CommandLine beacon) {
        for (Object command : new Object[] {new LoginCommand(), new LogoutCommand(), new SitesCommand(), new FleetsCommand(),
                new TokensCommand(), new KeysCommand(), new MachinesCommand(), new JobsCommand(), new QueueCommand(),
                new AuditCommand(), new NodesCommand(), new CompletionCommand()}) {
            beacon.addSubcommand(command);
        }
        return beacon;
    }
}
