package dev.beacon.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One dispatch round for an organization: plan (pair queued jobs with idle robots in memory, reserving each robot),
 * claim (every pair in one transaction, {@link JobStore#assignAll}, so a job never goes to two robots), send (the
 * {@code job.assign}s). Runs on the dispatcher thread, {@code beacon-dispatcher}, only; {@link #plan} is pure.
 */
final class DispatchRound {
    /** Queue rows read per dispatch round; a longer queue is read again in the next round. */
    static final int QUEUE_WINDOW = 500;

    private final JobStore store;
    private final IdleRegistry registry;
    private final JobSender sender;
    private final RobotFacts facts;
    private final Clock clock;
    private final MeterRegistry metrics;
    /** Organizations whose next round reads the queue from the database instead of planning from the backlog. */
    private final Set<String> rereadOrgs = ConcurrentHashMap.newKeySet();

    /** A robot reserved for a job, not yet claimed in SQL. */
    record Plan(Job job, Slot slot) {
    }

    DispatchRound(JobStore store, IdleRegistry registry, JobSender sender, RobotFacts facts, Clock clock, MeterRegistry metrics) {
        this.store = store;
        this.registry = registry;
        this.sender = sender;
        this.facts = facts;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Pairs jobs (in queue order) with idle robots (longest idle first): each job goes to the first idle robot that
     * can run it, each robot takes at most one job. Changes nothing, and copies nothing of {@code idle}: a round runs
     * each time a robot says hello, and copying 19,000 idle robots for each was a tenth of a reconnect storm's CPU.
     */
    static List<Plan> plan(List<Job> queue, Collection<Slot> idle) {
        if (queue.isEmpty() || idle.isEmpty()) {
            return List.of();
        }
        Set<Slot> taken = new HashSet<>();
        List<Plan> plans = new ArrayList<>();
        for (Job job : queue) {
            if (taken.size() == idle.size()) {
                break;
            }
            for (Slot slot : idle) {
                if (!taken.contains(slot) && slot.canRun(job)) {
                    taken.add(slot);
                    plans.add(new Plan(job, slot));
                    break;
                }
            }
        }
        return plans;
    }

    /** The organization's next round that plans reads the queue again (any thread). */
    void rereadNext(String orgId) {
        rereadOrgs.add(orgId);
    }

    /**
     * Runs the round, reading the queue from the database when {@link #rereadNext} asked for it or when the backlog
     * is incomplete. Returns whether another round should follow at once (a job was taken meanwhile, or a full window
     * was read).
     */
    boolean run(String orgId) {
        IdleRegistry.RoundStart start;
        synchronized (registry) {
            if (!registry.hasIdle(orgId)) {
                return false; // nothing to plan; a robot becoming idle asks for a round again
            }
            start = registry.startRound(orgId, rereadOrgs.remove(orgId));
        }
        Backlog backlog = start.backlog();
        boolean read = start.read();
        List<Job> queue = start.queue();
        if (read) {
            try {
                queue = store.queued(orgId, QUEUE_WINDOW);
            } catch (RuntimeException e) {
                synchronized (registry) {
                    backlog.abandonRound();
                }
                throw e;
            }
        }
        List<Plan> plans;
        synchronized (registry) {
            plans = registry.planAndReserve(orgId, queue);
            // Counted once the queue was weighed against the idle robots: tests wait on it to know a round left a job waiting.
            metrics.counter("beacon.jobs.dispatch.rounds").increment();
            if (plans.isEmpty()) {
                backlog.endRound(queue, read, Set.of());
                return false;
            }
        }
        return claimAndSend(orgId, backlog, queue, read, plans);
    }

    private boolean claimAndSend(String orgId, Backlog backlog, List<Job> queue, boolean read, List<Plan> plans) {
        List<JobStore.Pair> pairs = plans.stream().map(plan -> new JobStore.Pair(plan.job().id(), plan.slot().robotId,
                plan.slot().sessionId)).toList();
        List<JobStore.Assignment> outcomes;
        Instant now = clock.instant();
        try {
            outcomes = store.assignAll(pairs, now);
        } catch (RuntimeException e) {
            synchronized (registry) {
                registry.release(plans);
                backlog.abandonRound();
            }
            throw e;
        }
        List<Plan> assigned = new ArrayList<>();
        List<Slot> unavailable = new ArrayList<>();
        Set<String> gone = new HashSet<>();
        boolean retry = false;
        synchronized (registry) {
            for (int i = 0; i < outcomes.size(); i++) {
                Plan plan = plans.get(i);
                switch (outcomes.get(i)) {
                    case ASSIGNED -> {
                        registry.claimed(plan.slot());
                        assigned.add(plan);
                        gone.add(plan.job().id());
                    }
                    // The job was cancelled or taken by another node since we looked: its robot is free for the next
                    // round at once. A robot that became unavailable waits for the 1 s sweep instead of a tight loop.
                    case JOB_TAKEN -> {
                        registry.release(plan.slot(), plan.job().id());
                        gone.add(plan.job().id());
                        retry = true;
                    }
                    case ROBOT_UNAVAILABLE -> {
                        registry.release(plan.slot(), plan.job().id());
                        unavailable.add(plan.slot());
                    }
                }
            }
            backlog.endRound(queue, read, gone);
        }
        for (Plan plan : assigned) {
            metrics.counter("beacon.jobs.assigned").increment();
            sender.assign(plan.slot(), assigned(plan.job(), plan.slot().robotId, plan.slot().sessionId, now));
        }
        unavailable.forEach(facts::refresh);
        // A full window means more may be queued behind it: the backlog is incomplete, so the next round reads on.
        return retry || (read && !assigned.isEmpty() && queue.size() == QUEUE_WINDOW);
    }

    /** The job as {@link JobStore#assignAll} or {@link JobStore#insert} left it, given to robot {@code robotId} in session {@code sessionId}. */
    static Job assigned(Job job, String robotId, String sessionId, Instant at) {
        Instant now = Instant.ofEpochMilli(at.toEpochMilli()); // what the database keeps
        return new Job(job.id(), job.orgId(), job.kind(), job.payload(), job.target(), job.priority(), job.timeoutS(),
                job.maxAttempts(), job.attempts() + 1, JobStatus.ASSIGNED, robotId, sessionId, job.idempotencyKey(), null, null,
                job.error(), job.createdBy(), job.createdAt(), job.queuedAt(), now, null, null, null, now);
    }
}
