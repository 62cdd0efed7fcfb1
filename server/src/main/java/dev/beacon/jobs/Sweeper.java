package dev.beacon.jobs;

import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives up on what agents no longer do: at start, every job a previous run or a dead node left held
 * ({@link #reconcileAtStart}, on the starting thread, before agents connect); the jobs of a node a survivor took over
 * ({@link #nodeLost}); then once a second, jobs past their deadline and robots whose
 * drain time passed ({@link #sweep}, on the server's scheduler thread, {@code beacon-scheduler}). Thread-safe.
 */
final class Sweeper {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** Past {@code timeout_s}, an agent gets this long to report its own timeout before the server gives up on it. */
    static final long GRACE_MILLIS = 5_000;
    /** After giving up on a job, its robot gets no new job until it reports the old one or this long has passed. */
    static final long DRAIN_MILLIS = 10_000;

    private final JobStore store;
    private final IdleRegistry registry;
    private final JobSettler settler;
    private final JobSender sender;
    private final Clock clock;

    Sweeper(JobStore store, IdleRegistry registry, JobSettler settler, JobSender sender, Clock clock) {
        this.store = store;
        this.registry = registry;
        this.settler = settler;
        this.sender = sender;
        this.clock = clock;
    }

    /**
     * Every job held by a session no live node holds was held by a session a restart or a node's death ended (and
     * agents cancel their running job when their connection drops), so each goes back to the queue, or ends when its
     * attempts are spent. Jobs held through live nodes are left to them. {@code liveSince}: the oldest heartbeat a
     * live node may have. Returns how many were settled.
     */
    int reconcileAtStart(Instant liveSince) {
        int settled = 0;
        for (Job job : store.abandonedHeld(liveSince.toEpochMilli())) {
            if (settler.settle(job.id(), job.sessionId(), new Transition.Event.Lost(
                    "the server restarted while robot " + job.robotId() + " held the job")).isPresent()) {
                settled++;
            }
        }
        store.clearAbandonedCurrentJobs(liveSince.toEpochMilli());
        return settled;
    }

    /**
     * Node {@code nodeId} died: every job held by a session it still had open goes back to the queue, or ends when
     * its attempts are spent, each through the same guarded settle as a disconnect (so a job is settled once, even
     * when two survivors get here). Returns the jobs settled.
     */
    java.util.List<Job> nodeLost(String nodeId, String nodeName) {
        java.util.List<Job> settled = new java.util.ArrayList<>();
        for (Job job : store.heldOnNode(nodeId)) {
            settler.settle(job.id(), job.sessionId(), new Transition.Event.Lost(
                    "node " + nodeName + " holding robot " + job.robotId() + " stopped renewing its lease")).ifPresent(settled::add);
        }
        return settled;
    }

    /**
     * Gives up on jobs past their deadline (telling their agents to stop them) and frees robots whose drain time
     * passed. Returns every organization with a robot here: each gets a round that reads the queue again.
     */
    Set<String> sweep() {
        try {
            Instant now = clock.instant();
            for (Job job : store.overdue(now, GRACE_MILLIS)) {
                String reason = job.cancelRequestedAt() != null
                        ? "robot " + job.robotId() + " did not confirm the cancel"
                        : "no result from robot " + job.robotId() + " within timeout_s " + job.timeoutS() + " s";
                String sessionId = job.sessionId();
                settler.settle(job.id(), sessionId, new Transition.Event.Overdue(reason)).ifPresent(settled -> {
                    Slot slot = registry.draining(job.robotId(), sessionId, clock.millis() + DRAIN_MILLIS);
                    if (slot != null) {
                        sender.cancel(slot, job.id());
                    }
                });
            }
        } catch (RuntimeException e) {
            log.warn("job sweep failed; will retry", e);
        }
        return registry.endDrains(clock.millis());
    }
}
