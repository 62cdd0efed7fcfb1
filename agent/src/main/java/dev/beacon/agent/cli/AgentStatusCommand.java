package dev.beacon.agent.cli;

import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.AgentException;
import dev.beacon.agent.ServerEndpoint;
import dev.beacon.agent.StatusClient;
import dev.beacon.agent.TokenCheck;
import dev.beacon.agent.TokenRefusedException;
import dev.beacon.tokens.TokenFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.Optional;

/**
 * {@code beacon agent status}: shows what agent.toml holds (token masked) and whether the server accepts the token;
 * exits 0 when it does, 3 when it refuses the token, 1 when there is no answer or nothing saved.
 */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Show the saved enrollment (the token only as a prefix) and whether the server accepts it.")
final class AgentStatusCommand extends AgentSubcommand {
    @Mixin
    AgentConfigOption configOption;

    @Override
    int execute() throws InterruptedException {
        AgentConfigFile file = configOption.file();
        AgentConfig config = file.read().orElseThrow(() -> new AgentException("Not enrolled: " + file.path()
                + " does not exist. Run `beacon agent enroll --server URL`."));
        if (!config.enrolled()) {
            throw new AgentException("Not enrolled: " + file.path() + " holds no robot token. Run `beacon agent enroll --server URL`.");
        }
        PrintWriter out = out();
        row(out, "Config", file.path().toString());
        if (config.servers().size() == 1) {
            row(out, "Server", config.server());
        } else {
            row(out, "Servers", String.join(", ", config.servers()));
        }
        row(out, "Name", config.name());
        row(out, "Robot ID", config.robotId());
        row(out, "Organization", config.organization());
        row(out, "Site", config.site());
        row(out, "Fleet", config.fleet());
        row(out, "Token", TokenFormat.mask(config.robotToken()));
        if (config.caCert() != null) {
            row(out, "CA cert", config.caCert());
        }
        row(out, "Handlers", config.handlers().isEmpty() ? "(built-in echo, sleep only)" : String.join(", ", config.handlers().keySet()));
        out.flush();
        TokenCheck check;
        try {
            check = new StatusClient(ServerEndpoint.of(config).httpClient()).check(config); // the first that answers
        } catch (AgentException e) {
            check = new TokenCheck.Unknown(e.getMessage());
        }
        answeredBy(check).ifPresent(server -> row(out, "Answered by", server));
        row(out, "Server says", describe(check, file.path().toString()));
        // The same codes as `agent run`, so a script can tell "fix the network" from "enroll again".
        if (check instanceof TokenCheck.Accepted) {
            return 0;
        }
        return check instanceof TokenCheck.Refused ? TokenRefusedException.EXIT_CODE : 1;
    }

    /** One line for a check; an if-chain rather than a pattern switch, since this module compiles for Java 17. */
    private static String describe(TokenCheck check, String path) {
        if (check instanceof TokenCheck.Accepted accepted) {
            return "token accepted (robot " + accepted.robotId() + (accepted.status() == null ? "" : ", " + accepted.status()) + ")";
        }
        if (check instanceof TokenCheck.Refused refused) {
            return "token refused (" + refused.code() + ") — delete " + path + " and enroll again";
        }
        return "unknown — " + ((TokenCheck.Unknown) check).line();
    }

    private static Optional<String> answeredBy(TokenCheck check) {
        if (check instanceof TokenCheck.Accepted accepted) {
            return Optional.ofNullable(accepted.server());
        }
        if (check instanceof TokenCheck.Refused refused) {
            return Optional.ofNullable(refused.server());
        }
        return Optional.empty();
    }

    private static void row(PrintWriter out, String label, String value) {
        out.printf("%-13s %s%n", label + ":", value == null ? "-" : value);
    }
}
