package dev.beacon;

import dev.beacon.cli.AdminCommand;
import dev.beacon.agent.cli.AgentCommand;
import dev.beacon.cli.LoadtestCommand;
import dev.beacon.cli.ServerCommand;
import dev.beacon.cli.ops.OpsCommands;
import dev.beacon.agent.cli.VersionProvider;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code beacon} executable: one binary for the server, the agent, administration and load tests. */
@Command(name = "beacon", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Beacon: a self-hosted control plane for fleets of machines.",
        subcommands = {ServerCommand.class, AgentCommand.class, AdminCommand.class, LoadtestCommand.class})
public final class Main implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        ExitOnError.install();
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests that run commands in-process. */
    public static CommandLine commandLine() {
        return OpsCommands.register(new CommandLine(new Main())).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** {@code beacon} with no command: usage on stderr and exit 2, the usual code for a command-line mistake. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
