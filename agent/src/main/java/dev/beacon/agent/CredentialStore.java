package dev.beacon.agent;

import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * The agent's current config in memory, kept in step with agent.toml when the token changes. Thread-safe:
 * changes are serialized, and the disk is always written before memory, so a crash never leaves the agent using a
 * token it has not saved.
 */
public final class CredentialStore {
    private static final Logger LOG = LoggerFactory.getLogger(CredentialStore.class);

    private final AgentConfigFile file;
    private volatile AgentConfig current;

    public CredentialStore(AgentConfigFile file, AgentConfig initial) {
        this.file = Objects.requireNonNull(file);
        this.current = Objects.requireNonNull(initial);
    }

    /** The config in use now. */
    public AgentConfig current() {
        return current;
    }

    /** Where the config lives. */
    public AgentConfigFile file() {
        return file;
    }

    /** Saves {@code newToken} atomically to agent.toml, then uses it; throws {@link AgentException} if either fails. */
    public synchronized AgentConfig replaceToken(String newToken) {
        if (TokenFormat.parse(TokenKind.ROBOT, newToken) instanceof TokenFormat.Parsed.Malformed malformed) {
            throw new AgentException("The server sent a new robot token that is not valid (" + malformed.reason()
                    + "); keeping the old one.");
        }
        AgentConfig updated = current.withRobotToken(newToken.strip());
        file.write(updated);
        current = updated;
        return updated;
    }

    /**
     * Adopts a token another process saved meanwhile ({@code beacon agent rotate-token}), so a reconnect uses it;
     * keeps the one in memory when the file is gone, unreadable or holds no valid token.
     */
    public synchronized AgentConfig reload() {
        try {
            file.read()
                    .filter(saved -> saved.enrolled() && !saved.robotToken().equals(current.robotToken()))
                    .filter(saved -> TokenFormat.parse(TokenKind.ROBOT, saved.robotToken()) instanceof TokenFormat.Parsed.Valid)
                    .ifPresent(saved -> {
                        LOG.info("using the robot token saved in {} ({})", file.path(), TokenFormat.mask(saved.robotToken()));
                        current = current.withRobotToken(saved.robotToken());
                    });
        } catch (AgentException e) {
            LOG.warn("keeping the token in memory: {}", e.getMessage());
        }
        return current;
    }
}
