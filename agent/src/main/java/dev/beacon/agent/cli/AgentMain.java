package dev.beacon.agent.cli;

import dev.beacon.ExitOnError;
import picocli.CommandLine;

/**
 * {@code beacon-agent}: the entry point of {@code beacon-agent.jar}, the agent alone for machines that have only a
 * Java 17 runtime. Its commands are exactly {@code beacon agent …}'s ({@code enroll}, {@code run}, {@code status},
 * {@code rotate-token}).
 */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) {
        ExitOnError.install();
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests that run it in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new AgentCommand()).setCommandName("beacon-agent");
    }
}
