package dev.beacon.agent;

import java.time.Clock;
import java.time.Duration;

/**
 * Knobs of {@link AgentConnection} that tests and embedders may change; {@link #defaults()} is what the CLI uses.
 * Immutable and thread-safe.
 *
 * @param backoffBase  first reconnect ceiling (0.5 s): short, so a blip costs almost nothing
 * @param backoffCap   largest reconnect ceiling (30 s): bounds the wait after a long outage
 * @param stopTimeout  how long {@link AgentConnection#stop()} waits for the server to answer the close frame (2 s)
 */
public record ConnectionOptions(Duration backoffBase, Duration backoffCap, Duration stopTimeout, Clock clock,
                                HostFacts host) {
    public static ConnectionOptions defaults() {
        return new ConnectionOptions(Backoff.DEFAULT_BASE, Backoff.DEFAULT_CAP, Duration.ofSeconds(2),
                Clock.systemUTC(), HostFacts.detect());
    }

    public ConnectionOptions withBackoff(Duration base, Duration cap) {
        return new ConnectionOptions(base, cap, stopTimeout, clock, host);
    }

    public ConnectionOptions withHost(HostFacts newHost) {
        return new ConnectionOptions(backoffBase, backoffCap, stopTimeout, clock, newHost);
    }
}
