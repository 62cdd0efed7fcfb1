package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code beacon agent enroll}: prompts for the enrollment key (not echoed) or reads it from a file, enrolls, saves,
 * then runs the agent.
 */
@Command(name = "enroll", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Enroll this machine with an enrollment key typed at a prompt (or piped on stdin, or read from"
                + " --enrollment-key-file), then start the agent.")
final class AgentEnrollCommand extends AgentSubcommand {
    static final String PROMPT = "Enter enrollment token: ";

    @Mixin
    AgentConfigOption configOption;

    @Mixin
    AgentEnrollOptions enrollOptions;

    @Option(names = "--no-start", description = "Only enroll and save the credentials; do not start the agent.")
    boolean noStart;

    @Option(names = "--enrollment-key-file", paramLabel = "FILE",
            description = "Read the enrollment key from the first line of FILE instead of prompting (keeps it out of `ps` and shell history).")
    Path enrollmentKeyFile;

    @Override
    int execute() throws InterruptedException {
        AgentConfigFile file = configOption.file();
        AgentConfig staged = file.read().orElse(AgentConfig.empty());
        if (staged.enrolled()) {
            throw new AgentException("Already enrolled as " + AgentEnrollment.describe(staged) + ". Delete "
                    + file.path() + " to re-enroll.");
        }
        AgentEnrollment.requireServer(enrollOptions, staged);
        String key = enrollmentKeyFile != null ? readKeyFile(enrollmentKeyFile) : AgentTokenPrompt.read(out(), PROMPT);
        AgentConfig saved = AgentEnrollment.enroll(key, enrollOptions, file, staged, out());
        if (noStart) {
            return 0;
        }
        out().println("✓ Starting agent...");
        return runAgent(saved, file, false);
    }

    /** The first line of {@code file}, stripped; fails in one line when it is unreadable or holds no key. */
    static String readKeyFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AgentException("Cannot read the enrollment key from " + file + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + e.getMessage()));
        }
        String key = text.lines().findFirst().orElse("").strip();
        if (key.isEmpty()) {
            throw new AgentException("No enrollment key in " + file + ": its first line is empty.");
        }
        return key;
    }
}
