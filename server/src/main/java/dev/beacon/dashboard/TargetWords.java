package dev.beacon.dashboard;

import dev.beacon.jobs.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A job's target in words people read: "machine dock-robot-7", "fleet warehouse-a / dock-2", "needs gpu, arm64",
 * with names in place of ids where they are known. For templates; stateless and thread-safe.
 */
public final class TargetWords {
    private TargetWords() {
    }

    /**
     * {@code target} of a job of {@code kind}, its robot, fleet and site named from {@code robotNames} and
     * {@code places} (an unknown id shows as itself): "fleet warehouse-a / dock-2 · needs gpu" or "any machine that
     * runs echo".
     */
    public static String of(Target target, String kind, Views.Places places, Map<String, String> robotNames) {
        List<String> parts = new ArrayList<>();
        if (target.robotId() != null) {
            parts.add("machine " + robotNames.getOrDefault(target.robotId(), target.robotId()));
        }
        if (target.fleetId() != null) {
            String fleet = places.fleet(target.fleetId());
            parts.add("fleet " + fleet);
        }
        if (target.siteId() != null) {
            parts.add("site " + places.site(target.siteId()));
        }
        if (!target.capabilities().isEmpty()) {
            parts.add("needs " + String.join(", ", target.capabilities()));
        }
        if (!target.labels().isEmpty()) {
            parts.add("labels " + Fmt.labels(target.labels()));
        }
        return parts.isEmpty() ? "any machine that runs " + kind : String.join(" · ", parts);
    }
}
