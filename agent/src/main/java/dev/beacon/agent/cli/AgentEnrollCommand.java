package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beacon agent enroll}: prompts for the enrollment key (not echoed), enrolls, saves, then runs the agent. */
@Command(name = "enroll", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Enroll this machine with an enrollment key typed at a prompt (or piped on stdin), then start the agent.")
final class AgentEnrollCommand extends AgentSubcommand {
    static final String PROMPT = "Enter enrollment token: ";

    @Mixin
    AgentConfigOption configOption;

    @Mixin
    AgentEnrollOptions enrollOptions;

    @Option(names = "--no-start", description = "Only enroll and save the credentials; do not start the agent.")
    boolean noStart;

    @Override
    int execute() throws InterruptedException {
        AgentConfigFile file = configOption.file();
        AgentConfig staged = file.read().orElse(AgentConfig.empty());
        if (staged.enrolled()) {
            throw new AgentException("Already enrolled as " + AgentEnrollment.describe(staged) + ". Delete "
                    + file.path() + " to re-enroll.");
        }
        AgentEnrollment.requireServer(enrollOptions, staged);
        String key = AgentTokenPrompt.read(out(), PROMPT);
        AgentConfig saved = AgentEnrollment.enroll(key, enrollOptions, file, staged, out());
        if (noStart) {
            return 0;
        }
        out().println("✓ Starting agent...");
        return runAgent(saved, file, false);
    }
}
