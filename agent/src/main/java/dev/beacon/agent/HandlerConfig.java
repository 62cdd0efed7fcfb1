package dev.beacon.agent;

import java.util.List;

/**
 * One {@code [handlers.<kind>]} table of agent.toml: the argv to run for jobs of that kind and an optional
 * local timeout. Immutable and thread-safe.
 *
 * @param command   program and arguments, run directly (never through a shell); the job payload arrives on stdin
 * @param timeoutS  seconds after which the process tree is killed; null means the job's own timeout applies
 */
public record HandlerConfig(List<String> command, Integer timeoutS) {
    public HandlerConfig {
        if (command == null || command.isEmpty() || command.stream().anyMatch(part -> part == null || part.isEmpty())) {
            throw new IllegalArgumentException("a handler needs a non-empty command list, e.g. command = [\"/usr/local/bin/backup.sh\"]");
        }
        if (timeoutS != null && timeoutS <= 0) {
            throw new IllegalArgumentException("timeout_s must be positive, was " + timeoutS);
        }
        command = List.copyOf(command);
    }
}
