package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What this node knows of one organization's queue between dispatch rounds: the queued jobs the last round left,
 * plus those queued here since (a submit no idle robot took, a job sent back to the queue). It lets a round plan
 * without reading the queue again, and lets a submit go straight to an idle robot only when no job already waiting
 * could run on that robot, so a new job never overtakes an older one here. Jobs other nodes queue (PostgreSQL) are
 * seen at the next read of the queue, at the latest the dispatcher's one-second sweep. Not thread-safe: guarded by
 * the {@link IdleRegistry}'s lock.
 */
final class Backlog {
    /** The dispatcher's queue order: highest priority first, then oldest. */
    static final Comparator<Job> ORDER = Comparator.comparingInt(Job::priority).reversed()
            .thenComparing(Job::createdAt).thenComparing(Job::id);

    private final int window;
    /** Whether {@link #waiting} holds every queued job of the organization (as far as this node knows). */
    private boolean complete;
    private final Map<String, Job> waiting = new LinkedHashMap<>();
    /** Jobs queued while a round was planning: kept when the round installs what it left. */
    private final List<Job> queuedDuringRound = new ArrayList<>();
    private boolean roundInFlight;

    /** {@code window}: at this many waiting jobs the backlog stops claiming to be complete (and the queue is read again). */
    Backlog(int window) {
        this.window = window;
    }

    boolean complete() {
        return complete;
    }

    /** A job of the organization is queued (and was not given to a robot). */
    void queued(Job job) {
        waiting.put(job.id(), job);
        if (roundInFlight) {
            queuedDuringRound.add(job);
        }
        if (waiting.size() >= window) {
            complete = false;
        }
    }

    /** Whether some waiting job could run on {@code robot}: then a new job must not take it first. */
    boolean holdsJobFor(Robot robot) {
        for (Job job : waiting.values()) {
            if (job.target().matches(robot, job.kind())) {
                return true;
            }
        }
        return false;
    }

    /** A round starts: the waiting jobs in queue order, to plan from. */
    List<Job> startRound() {
        roundInFlight = true;
        queuedDuringRound.clear();
        List<Job> snapshot = new ArrayList<>(waiting.values());
        snapshot.sort(ORDER);
        return snapshot;
    }

    /**
     * A round ends: {@code queue} is what it planned from (read from the database when {@code read}), {@code gone}
     * the ids it gave to robots or found no longer queued.
     */
    void endRound(Collection<Job> queue, boolean read, Set<String> gone) {
        waiting.clear();
        for (Job job : queue) {
            if (!gone.contains(job.id())) {
                waiting.put(job.id(), job);
            }
        }
        for (Job job : queuedDuringRound) {
            if (!gone.contains(job.id())) {
                waiting.put(job.id(), job);
            }
        }
        queuedDuringRound.clear();
        roundInFlight = false;
        if (read) {
            complete = queue.size() < window;
        }
        if (waiting.size() >= window) {
            complete = false;
        }
    }

    /** A round failed: what it planned is unknown, so the next round reads the queue. */
    void abandonRound() {
        roundInFlight = false;
        queuedDuringRound.clear();
        complete = false;
    }
}
