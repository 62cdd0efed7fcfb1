package dev.beacon.agent;

import dev.beacon.agent.cli.AgentCommand;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs {@code beacon agent …} in this JVM with the given stdin, capturing what it prints. */
final class AgentCli {
    /** Exit code and the text printed to stdout and stderr. */
    record Result(int exitCode, String out, String err) {
    }

    private AgentCli() {
    }

    static Result withStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InputStream originalIn = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            int code = new CommandLine(new AgentCommand())
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(err, true))
                    .execute(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setIn(originalIn);
        }
    }

    static Result run(String... args) {
        return withStdin("", args);
    }
}
