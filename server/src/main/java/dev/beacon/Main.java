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
        description = "Beacon: a self-hosted control plane for fleets of machines.")
public final class Main implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * The fewest carrier threads the virtual threads (every request and agent message) get. A carrier stays pinned
     * while its virtual thread is inside native code, as every SQLite statement is (JNI), and the JDK starts one
     * carrier per core: on a one-core machine (or a process given one CPU) a single long read, such as a large export
     * or a figure over a busy hour, stalled every other request and agent until it ended (10-second stalls in a soak).
     */
    static final int MIN_CARRIERS = 4;
    private static final String CARRIERS = "jdk.virtualThreadScheduler.parallelism";

    public static void main(String[] args) {
        enoughCarriers();
        ExitOnError.install();
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command line that runs {@code args}: for {@code beacon server ...} the root with the server command alone, else
     * {@link #commandLine()}. Picocli reads the annotations of every command it is given up front; for the whole tree
     * (agent, admin, loadtest, the operator commands) that took 0.3 s of CPU at each server start, for commands the
     * server never runs. Help and errors of {@code beacon server} read the same either way.
     */
    public static CommandLine commandLine(String[] args) {
        if (args.length > 0 && args[0].equals("server")) {
            return new CommandLine(new Main()).addSubcommand(new ServerCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        }
        return commandLine();
    }

    /**
     * Gives the virtual-thread scheduler at least {@link #MIN_CARRIERS} carriers, unless {@code -D} set it. Must run
     * before the first virtual thread starts, when the JDK reads the setting.
     */
    static void enoughCarriers() {
        if (System.getProperty(CARRIERS) == null) {
            System.setProperty(CARRIERS, Integer.toString(Math.max(MIN_CARRIERS, Runtime.getRuntime().availableProcessors())));
        }
    }

    /** The configured command line, for tests that run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine beacon = new CommandLine(new Main());
        for (Object command : new Object[] {new ServerCommand(), new AgentCommand(), new AdminCommand(), new LoadtestCommand()}) {
            beacon.addSubcommand(command);
        }
        return OpsCommands.register(beacon).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** {@code beacon} with no command: usage on stderr and exit 2, the usual code for a command-line mistake. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
