package dev.beacon.agent;

import dev.beacon.tokens.TokenFormat;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The body of {@code POST /api/enroll}. Immutable and thread-safe; {@link #toString()} masks the key.
 *
 * @param enrollmentKey  the {@code rf_enroll_…} key as typed; {@link EnrollClient} checks its checksum before sending
 * @param replace        take over an offline robot of the same name in the key's fleet instead of failing with 409
 */
public record EnrollRequest(
        String enrollmentKey,
        String name,
        String hostname,
        String os,
        String arch,
        String agentVersion,
        List<String> capabilities,
        Map<String, String> labels,
        boolean replace) {

    public EnrollRequest {
        Objects.requireNonNull(name, "name");
        capabilities = List.copyOf(capabilities);
        labels = Map.copyOf(labels);
    }

    /** A request for this machine, with the job kinds and labels of {@code config}. */
    public static EnrollRequest of(String enrollmentKey, String name, HostFacts host, AgentConfig config, boolean replace) {
        return new EnrollRequest(enrollmentKey, name, host.hostname(), host.os(), host.arch(), host.agentVersion(),
                JobRunner.capabilities(config.handlers()), config.labels(), replace);
    }

    @Override
    public String toString() {
        return "EnrollRequest[enrollmentKey=" + TokenFormat.mask(enrollmentKey) + ", name=" + name + ", hostname="
                + hostname + ", os=" + os + ", arch=" + arch + ", agentVersion=" + agentVersion + ", capabilities="
                + capabilities + ", labels=" + labels + ", replace=" + replace + "]";
    }
}
