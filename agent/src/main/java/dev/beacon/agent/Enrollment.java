package dev.beacon.agent;

import dev.beacon.tokens.TokenFormat;

import java.util.List;

/**
 * What a successful {@code POST /api/enroll} returns (201): this robot's identity and long-lived token.
 * Immutable and thread-safe; {@link #toString()} masks the token.
 *
 * @param organization  organization name; {@code site} and {@code fleet} are names too, the {@code *Id} fields ids
 */
public record Enrollment(
        String robotId,
        String robotToken,
        String organization,
        String site,
        String fleet,
        String organizationId,
        String siteId,
        String fleetId,
        Integer heartbeatIntervalS) {

    /** {@code base} updated with this enrollment's identity and token, for saving to agent.toml. */
    public AgentConfig applyTo(AgentConfig base, List<String> servers, String name) {
        return new AgentConfig(servers, robotId, robotToken, name, organization, site, fleet, base.caCert(),
                base.labels(), base.handlers());
    }

    @Override
    public String toString() {
        return "Enrollment[robotId=" + robotId + ", robotToken=" + (robotToken == null ? null : TokenFormat.mask(robotToken))
                + ", organization=" + organization + ", site=" + site + ", fleet=" + fleet
                + ", heartbeatIntervalS=" + heartbeatIntervalS + "]";
    }
}
