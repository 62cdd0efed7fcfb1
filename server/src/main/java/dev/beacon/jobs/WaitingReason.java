package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * "Why is my job waiting?": explains a queued job from the robots of its organization, e.g. "no online robot in
 * fleet dock-2 advertises `backup`: 3 offline, 1 paused". Computed on read. Stateless.
 */
final class WaitingReason {
    private WaitingReason() {
    }

    static String of(Job job, List<Robot> robots, Map<String, String> placeNames) {
        Target target = job.target();
        String scope = scope(target, robots, placeNames);
        List<Robot> selected = robots.stream().filter(target::selects).toList();
        if (selected.isEmpty()) {
            return "no robot matches the target: there is no robot in " + scope;
        }
        List<String> needed = new ArrayList<>();
        needed.add(job.kind());
        target.capabilities().stream().filter(c -> !c.equals(job.kind())).forEach(needed::add);
        String needs = needed.stream().map(c -> "`" + c + "`").collect(Collectors.joining(" and "));
        List<Robot> capable = selected.stream().filter(robot -> target.matches(robot, job.kind())).toList();
        if (capable.isEmpty()) {
            return "no robot matches the target: no robot in " + scope + " advertises " + needs
                    + " (" + count(selected.size(), "robot") + " there)";
        }
        long paused = capable.stream().filter(Robot::isPaused).count();
        long offline = capable.stream().filter(r -> !r.isPaused() && r.status() == RobotStatus.OFFLINE).count();
        long busy = capable.stream().filter(r -> !r.isPaused() && r.status() == RobotStatus.BUSY).count();
        long idle = capable.size() - paused - offline - busy;
        String others = tail(offline, paused);
        if (idle > 0) {
            return dispatching(idle);
        }
        if (busy > 0) {
            return waitingForFree(busy) + (others.isEmpty() ? "" : "; " + others);
        }
        return "no online robot in " + scope + " advertises " + needs + ": " + others;
    }

    /**
     * The same explanation from only the robots connected to this node that could run the job ({@code free} idle,
     * {@code busy} busy), for the answer to a submit; null when none could (then only every robot can say why).
     * Offline and paused robots are not counted here.
     */
    static String ofConnected(long free, long busy) {
        if (free > 0) {
            return dispatching(free);
        }
        return busy > 0 ? waitingForFree(busy) : null;
    }

    private static String dispatching(long idle) {
        return "dispatching: " + count(idle, "matching robot") + " free; waiting behind jobs of higher priority or older";
    }

    private static String waitingForFree(long busy) {
        return "waiting for a free robot: " + count(busy, "matching robot") + " " + (busy == 1 ? "is" : "are") + " busy";
    }

    private static String tail(long offline, long paused) {
        List<String> parts = new ArrayList<>();
        if (offline > 0) {
            parts.add(offline + " offline");
        }
        if (paused > 0) {
            parts.add(paused + " paused");
        }
        return String.join(", ", parts);
    }

    private static String scope(Target target, List<Robot> robots, Map<String, String> names) {
        List<String> parts = new ArrayList<>();
        if (target.robotId() != null) {
            String name = robots.stream().filter(r -> r.id().equals(target.robotId())).map(Robot::name).findFirst()
                    .orElse(target.robotId());
            parts.add("robot " + name);
        }
        if (target.fleetId() != null) {
            parts.add("fleet " + names.getOrDefault(target.fleetId(), target.fleetId()));
        }
        if (target.siteId() != null) {
            parts.add("site " + names.getOrDefault(target.siteId(), target.siteId()));
        }
        String where = parts.isEmpty() ? "the organization" : String.join(", ", parts);
        if (!target.labels().isEmpty()) {
            where += " with labels " + target.labels().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
        }
        return where;
    }

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
