package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.ServerEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** {@code beacon agent run}: runs the agent with the saved token, enrolling first when given a key and none is saved. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run the agent with the saved robot token; with --server and --enroll (a prompt) or --enrollment-key,"
                + " enroll first if not enrolled yet.")
final class AgentRunCommand extends AgentSubcommand {
    @Mixin
    AgentConfigOption configOption;

    @Mixin
    AgentEnrollOptions enrollOptions;

    @Option(names = "--enrollment-key", paramLabel = "KEY", defaultValue = "${env:BEACON_ENROLLMENT_KEY}",
            description = "rf_enroll_… key to enroll with when nothing is saved yet (or set BEACON_ENROLLMENT_KEY, which keeps it out of `ps`).")
    String enrollmentKey;

    @Option(names = "--enroll", description = "Enroll first when nothing is saved yet: prompt for the enrollment key (not echoed),"
            + " as `agent enroll` does, then run.")
    boolean enroll;

    @Option(names = "--once-connected-exit", description = "Exit with 0 as soon as the server has accepted the connection (for scripts and smoke tests).")
    boolean onceConnectedExit;

    @Override
    int execute() throws InterruptedException {
        AgentConfigFile file = configOption.file();
        AgentConfig saved = file.read().orElse(AgentConfig.empty());
        AgentConfig config;
        if (saved.enrolled()) {
            if (enroll || (enrollmentKey != null && !enrollmentKey.isBlank())) {
                out().println("Already enrolled as " + AgentEnrollment.describe(saved) + "; ignoring "
                        + (enroll ? "--enroll" : "--enrollment-key") + ". Delete " + file.path() + " to re-enroll.");
            }
            if (!enrollOptions.servers.isEmpty() && !Objects.equals(ServerEndpoint.allOf(enrollOptions.servers, null).stream()
                    .map(server -> server.base().toString()).toList(), saved.servers())) {
                out().println("Using the saved " + (saved.servers().size() == 1 ? "server " : "servers ")
                        + String.join(", ", saved.servers()) + "; ignoring --server " + String.join(", ", enrollOptions.servers)
                        + " (edit " + file.path() + " to change them).");
            }
            if (enrollOptions.name != null && !enrollOptions.name.equals(saved.name())) {
                out().println("Using the saved name " + saved.name() + "; ignoring --name " + enrollOptions.name
                        + " (a new name means enrolling again).");
            }
            config = remember(saved, file);
        } else if (enroll && (enrollmentKey == null || enrollmentKey.isBlank())) {
            AgentEnrollment.requireServer(enrollOptions, saved);
            String key = AgentTokenPrompt.read(out(), AgentEnrollCommand.PROMPT);
            config = AgentEnrollment.enroll(key, enrollOptions, file, saved, out());
            out().println("✓ Starting agent...");
        } else {
            if (enrollmentKey == null || enrollmentKey.isBlank()) {
                throw new AgentException("Not enrolled yet: " + file.path() + " holds no robot token. Run `beacon agent enroll"
                        + " --server URL`, or `beacon agent run --enroll --server URL` to be asked for a key.");
            }
            config = AgentEnrollment.enroll(enrollmentKey, enrollOptions, file, saved, out());
            out().println("✓ Starting agent...");
        }
        return runAgent(config, file, onceConnectedExit);
    }

    /** Saves a new --ca-cert or extra --label values into agent.toml, so later runs need no flags. */
    private AgentConfig remember(AgentConfig saved, AgentConfigFile file) {
        AgentConfig config = saved;
        if (enrollOptions.caCert != null) {
            config = config.withCaCert(enrollOptions.caCert.toAbsolutePath().normalize().toString());
            ServerEndpoint.of(config).httpClient(); // fail now, before saving, if the file is not a usable CA
        }
        if (!enrollOptions.labels.isEmpty()) {
            Map<String, String> labels = new LinkedHashMap<>(config.labels());
            labels.putAll(enrollOptions.labels);
            config = new AgentConfig(config.servers(), config.robotId(), config.robotToken(), config.name(),
                    config.organization(), config.site(), config.fleet(), config.caCert(), labels,
                    config.handlers());
        }
        if (!config.equals(saved)) {
            file.write(config);
        }
        return config;
    }
}
