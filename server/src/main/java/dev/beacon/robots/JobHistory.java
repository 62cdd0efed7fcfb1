package dev.beacon.robots;

import java.util.List;

/** A robot's recent jobs for its detail view, as the job API shows them; supplied by the jobs feature. */
@FunctionalInterface
public interface JobHistory {
    /** The robot's last {@code limit} jobs, newest first. */
    List<?> recent(String robotId, int limit);
}
