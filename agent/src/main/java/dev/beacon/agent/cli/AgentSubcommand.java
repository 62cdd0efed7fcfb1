package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentConnection;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.ConnectionOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * What every {@code beacon agent} subcommand shares: failures become one {@code ✗ } line on stderr and an exit code,
 * and the agent runs in the foreground until stopped. One instance per invocation, used by one thread.
 */
abstract class AgentSubcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The command's work; may throw {@link AgentException} with the line to print and the exit code. */
    abstract int execute() throws InterruptedException;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (AgentException e) {
            err().println("✗ " + e.getMessage());
            return e.exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err().println("✗ Interrupted.");
            return 130;
        } finally {
            out().flush();
            err().flush();
        }
    }

    /**
     * Runs on SIGTERM or SIGINT: stops the agent cleanly (close 1000), then exits with its code, 0 after a clean
     * stop, where the JVM's own handling would exit 128 + signal (143 for SIGTERM).
     */
    private void stopOnSignal(AgentConnection connection) {
        connection.stop();
        out().flush();
        err().flush();
        System.exit(connection.exitCode().orElse(0));
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Runs the agent until it stops and returns its exit code. SIGTERM or SIGINT closes the socket with status 1000
     * first and then ends the process with the agent's code, 0 after a clean stop; any other JVM shutdown closes it
     * too, from a shutdown hook. With {@code exitOnceConnected}, returns 0 as soon as the server has welcomed the agent.
     */
    int runAgent(AgentConfig config, AgentConfigFile file, boolean exitOnceConnected) throws InterruptedException {
        out().flush();
        AgentConnection connection = AgentConnection.start(config, file, ConnectionOptions.defaults());
        Thread hook = new Thread(connection::stop, "beacon-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        StopSignals signals = StopSignals.install(() -> stopOnSignal(connection));
        try {
            if (exitOnceConnected) {
                while (!connection.awaitConnected(Duration.ofMinutes(1))) {
                    if (connection.exitCode().isPresent()) {
                        break;
                    }
                }
                if (connection.exitCode().isEmpty()) {
                    out().println("✓ Connected as " + config.name() + " (session " + connection.sessionId().orElse("?") + ")");
                    connection.stop();
                    return 0;
                }
            }
            int code = connection.awaitExit();
            if (code != 0 && connection.exitMessage() != null) {
                err().println("✗ " + connection.exitMessage());
            }
            return code;
        } finally {
            connection.stop(); // no-op when already stopped; stops it when this thread was interrupted
            signals.restore();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down and the hook is running; nothing to undo.
            }
        }
    }
}
