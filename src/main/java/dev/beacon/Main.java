package dev.beacon;

import dev.beacon.cli.AdminCommand;
import dev.beacon.cli.AgentCommand;
import dev.beacon.cli.LoadtestCommand;
import dev.beacon.cli.ServerCommand;
import dev.beacon.cli.VersionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code beacon} executable: one binary for the server, the agent, administration and load tests. */
@Command(name = "beacon", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Beacon: a self-hosted control plane for fleets of machines.",
        subcommands = {ServerCommand.class, AgentCommand.class, AdminCommand.class, LoadtestCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        ExitOnError.install();
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests that run commands in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
