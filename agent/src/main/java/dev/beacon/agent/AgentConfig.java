package dev.beacon.agent;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.beacon.tokens.TokenFormat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What agent.toml holds: where the servers are, who this robot is, its token, and its job handlers.
 * Immutable and thread-safe; {@link #toString()} shows only a masked prefix of the token.
 *
 * <p>The WebSocket URL is always derived from each server URL ({@code ws(s)://host/api/agent/ws}), never saved: a
 * {@code websocket_url} key that older agents wrote is read without complaint and ignored, so a changed
 * {@code server} is never overruled by a stale socket URL. How the list is spelled in the file ({@code server} for
 * one URL, {@code servers} for several) is {@link AgentConfigFile}'s business; here it is always a list.
 *
 * @param servers       base URLs of the control plane's nodes in the order they are tried, e.g.
 *                      {@code [https://beacon-1.example.com, https://beacon-2.example.com]}; empty before enrollment;
 *                      blank entries and repeats are dropped
 * @param robotId       id the server gave this robot at enrollment; null before enrollment
 * @param robotToken    the {@code rf_robot_…} secret; null before enrollment
 * @param caCert        PEM file of the only CA trusted for HTTPS; null means the JDK's default trust store
 * @param labels        labels advertised in {@code hello} and at enrollment
 * @param handlers      job kind → command run for it
 */
public record AgentConfig(
        List<String> servers,
        String robotId,
        String robotToken,
        String name,
        String organization,
        String site,
        String fleet,
        String caCert,
        Map<String, String> labels,
        Map<String, HandlerConfig> handlers) {

    public AgentConfig {
        servers = distinct(servers);
        // Insertion-ordered copies, so a rewritten file keeps the order the operator wrote.
        labels = labels == null ? Map.of() : unmodifiableCopy(labels);
        handlers = handlers == null ? Map.of() : unmodifiableCopy(handlers);
    }

    /** A config with a single server URL ({@code server} may be null before enrollment). */
    public AgentConfig(String server, String robotId, String robotToken, String name, String organization, String site,
                       String fleet, String caCert, Map<String, String> labels, Map<String, HandlerConfig> handlers) {
        this(server == null ? List.of() : List.of(server), robotId, robotToken, name, organization, site, fleet, caCert,
                labels, handlers);
    }

    /** An empty config, the starting point when nothing is saved yet. */
    public static AgentConfig empty() {
        return new AgentConfig(List.of(), null, null, null, null, null, null, null, Map.of(), Map.of());
    }

    /** The first server URL, the one the agent tries first; null when none is saved. */
    @JsonIgnore
    public String server() {
        return servers.isEmpty() ? null : servers.get(0);
    }

    /** True once a robot token is saved, i.e. this machine has enrolled. */
    @JsonIgnore
    public boolean enrolled() {
        return robotToken != null && !robotToken.isBlank();
    }

    /** This config with a new token and everything else unchanged; used when the server rotates the token. */
    public AgentConfig withRobotToken(String newToken) {
        return new AgentConfig(servers, robotId, Objects.requireNonNull(newToken), name, organization, site, fleet,
                caCert, labels, handlers);
    }

    /** This config with another CA file (null to fall back to the default trust store). */
    public AgentConfig withCaCert(String newCaCert) {
        return new AgentConfig(servers, robotId, robotToken, name, organization, site, fleet, newCaCert, labels,
                handlers);
    }

    @Override
    public String toString() {
        return "AgentConfig[servers=" + servers + ", robotId=" + robotId
                + ", robotToken=" + (robotToken == null ? null : TokenFormat.mask(robotToken))
                + ", name=" + name + ", organization=" + organization + ", site=" + site + ", fleet=" + fleet
                + ", caCert=" + caCert + ", labels=" + labels
                + ", handlers=" + handlers.keySet() + "]";
    }

    private static List<String> distinct(List<String> urls) {
        if (urls == null) {
            return List.of();
        }
        LinkedHashSet<String> kept = new LinkedHashSet<>();
        for (String url : urls) {
            if (url != null && !url.isBlank()) {
                kept.add(url.strip());
            }
        }
        return List.copyOf(kept);
    }

    private static <V> Map<String, V> unmodifiableCopy(Map<String, V> source) {
        Map<String, V> copy = new LinkedHashMap<>();
        source.forEach((key, value) -> copy.put(Objects.requireNonNull(key), Objects.requireNonNull(value, key)));
        return Collections.unmodifiableMap(copy);
    }
}
