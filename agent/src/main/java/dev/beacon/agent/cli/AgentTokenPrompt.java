package dev.beacon.agent.cli;

import dev.beacon.agent.AgentException;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the enrollment key: from the terminal with echo off when there is one, else one line from stdin so
 * scripts can pipe it in. Stateless; call from the command's thread.
 */
final class AgentTokenPrompt {
    private AgentTokenPrompt() {
    }

    /** Shows {@code prompt} and returns what was typed or piped, stripped; never echoes it on a terminal. */
    static String read(PrintWriter out, String prompt) {
        out.flush();
        Console console = System.console();
        if (console != null && Terminals.isTerminal(console)) {
            char[] typed = console.readPassword("%s", prompt);
            if (typed == null) {
                throw new AgentException("No enrollment token entered.");
            }
            String key = new String(typed).strip();
            Arrays.fill(typed, '\0');
            return key;
        }
        out.print(prompt);
        out.flush();
        String line;
        try {
            // Not closed: System.in belongs to the process, and nothing else reads it.
            line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            throw new AgentException("Cannot read the enrollment token from standard input: " + e.getMessage());
        }
        out.println(); // the piped text is not echoed, so end the prompt's line ourselves
        if (line == null || line.isBlank()) {
            throw new AgentException("No enrollment token given on standard input.");
        }
        return line.strip();
    }
}
