package dev.beacon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands queued jobs to the idle robots connected to this node and follows each job to its end. Which robot is
 * idle is known in memory (one {@code Slot} per greeted session, reserved for one job at a time under one lock that
 * is held only for in-memory work, never across a database call or a send); whether a job is still free is decided
 * in SQL ({@link JobStore#assignAll}), so a job never goes to two robots. A job submitted while a matching robot here
 * is idle, and no job already waiting could run on that robot, is given to it in the transaction that stores it
 * ({@link #submit}); every other job waits for a dispatch round on the dispatcher thread, which plans from the
 * {@link Backlog} it keeps in memory and reads the queue again when that is incomplete and once a second. Callers on
 * any thread report what agents say and do; the methods that settle a job write to the database on the caller's
 * thread before returning. Thread-safe.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** Past {@code timeout_s}, an agent gets this long to report its own timeout before the server gives up on it. */
    static final long GRACE_MILLIS = 5_000;
    /** After giving up on a job, its robot gets no new job until it reports the old one or this long has passed. */
    static final long DRAIN_MILLIS = 10_000;
    /**
     * How long a {@code job.accepted} waits before it is written: long enough that a short job's result (an echo takes
     * about a millisecond) comes first and the write is never needed, short enough that a running job shows as
     * {@code assigned} only briefly.
     */
    static final long ACCEPT_DELAY_MILLIS = 20;
    /** Queue rows read per dispatch round; a longer queue is read again in the next round. */
    private static final int QUEUE_WINDOW = 500;

    private final JobStore store;
    private final RobotStore robots;
    private final Clock clock;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("beacon-dispatcher").factory());
    /** Guards every slot, {@link #slots}, {@link #idle}, {@link #backlogs} and {@link #idleCounter}. */
    private final Object lock = new Object();
    /** Robot id → its greeted session on this node. */
    private final Map<String, Slot> slots = new HashMap<>();
    /** Organization → its idle slots, longest idle first (by {@code idleSince}). */
    private final Map<String, TreeMap<Long, Slot>> idle = new HashMap<>();
    /** Organization → what this node knows of its queue. */
    private final Map<String, Backlog> backlogs = new HashMap<>();
    private long idleCounter;
    private final Set<String> dirtyOrgs = ConcurrentHashMap.newKeySet();
    /** Organizations whose next round reads the queue from the database instead of planning from the backlog. */
    private final Set<String> rereadOrgs = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** Writes deferred {@code job.accepted}s, in batches. */
    private final ScheduledExecutorService acceptWriter = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("beacon-job-accepts").factory());
    /** Accepts not written yet, by job id; guarded by {@link #lock}. */
    private final Map<String, JobStore.Accept> pendingAccepts = new LinkedHashMap<>();
    private final AtomicBoolean acceptsScheduled = new AtomicBoolean();

    /** One greeted session; mutable, guarded by {@link #lock}. */
    private static final class Slot {
        final String robotId;
        final String orgId;
        final String sessionId;
        final AgentLink link;
        /** The job reserved for, given to or run by this robot; null when idle. */
        String currentJobId;
        /** The last job whose {@code job.assign} went out; a cancel for a job not sent yet waits for it. */
        String sentJobId;
        String cancelAfterSend;
        /** The current job's accept, kept until its result is settled (the write of it may come later or never). */
        String acceptedJobId;
        Instant acceptedAt;
        long idleSince;
        long drainUntilMillis;
        /**
         * The robot's facts (capabilities, labels, fleet, site, paused) as of its hello, so planning needs no read of
         * every robot; refreshed when a claim finds the robot unavailable (paused since) and on resume.
         */
        Robot robot;

        Slot(String robotId, String orgId, String sessionId, AgentLink link) {
            this.robotId = robotId;
            this.orgId = orgId;
            this.sessionId = sessionId;
            this.link = link;
        }

        boolean canRun(Job job) {
            return robot != null && !robot.isPaused() && job.target().matches(robot, job.kind());
        }
    }

    /** A slot reserved for a job, not yet claimed in SQL. */
    private record Plan(Job job, Slot slot) {
    }

    public Dispatcher(JobStore store, RobotStore robots, Clock clock, ObjectMapper json, MeterRegistry metrics) {
        this.store = store;
        this.robots = robots;
        this.clock = clock;
        this.json = json;
        this.metrics = metrics;
    }

    /**
     * At server start, before agents connect: every job still held was held by a session the restart ended (and
     * agents cancel their running job when their connection drops), so each goes back to the queue, or ends when
     * its attempts are spent. Returns how many were settled.
     */
    public int reconcileAtStart() {
        int settled = 0;
        for (Job job : store.allHeld()) {
            if (settle(job.id(), job.sessionId(), new Transition.Event.Lost(
                    "the server restarted while robot " + job.robotId() + " held the job")).isPresent()) {
                settled++;
            }
        }
        store.clearCurrentJobs();
        return settled;
    }

    /** Called when an agent session says hello: the robot may now be given jobs. */
    public void robotGreeted(String robotId, String orgId, String sessionId, AgentLink link) {
        Slot slot = new Slot(robotId, orgId, sessionId, link);
        slot.robot = robots.byId(orgId, robotId).orElse(null);
        synchronized (lock) {
            Slot old = slots.put(robotId, slot);
            if (old != null) {
                markBusy(old);
            }
            markIdle(slot);
        }
        requestDispatch(orgId);
    }

    /**
     * Called when a greeted session ends: every job it held goes back to the queue (or ends), written before this
     * returns, so a server shutting down leaves nothing held.
     */
    public void robotGone(String robotId, String sessionId, String reason) {
        try {
            for (Job job : store.heldBy(sessionId)) {
                settle(job.id(), sessionId, new Transition.Event.Lost("robot " + robotId + " disconnected (" + reason + ")"),
                        acceptedAt(robotId, sessionId, job.id())).ifPresent(settled -> requestDispatch(settled.orgId()));
            }
        } catch (RuntimeException e) {
            log.warn("could not settle the jobs of session {}; the timeout sweep will", sessionId, e);
        }
        synchronized (lock) {
            Slot slot = slots.get(robotId);
            if (slot != null && slot.sessionId.equals(sessionId)) {
                slots.remove(robotId);
                markBusy(slot);
            }
        }
    }

    /** Called when a robot's pause is lifted: its facts are read again, then it may be given jobs. */
    public void robotResumed(Robot robot) {
        synchronized (lock) {
            Slot slot = slots.get(robot.id());
            if (slot != null) {
                slot.robot = robot;
            }
        }
        requestDispatch(robot.orgId());
    }

    /** Called when anything may have made a robot eligible for a queued job. */
    public void requestDispatch(String orgId) {
        dirtyOrgs.add(orgId);
        if (drainScheduled.compareAndSet(false, true)) {
            run(this::drain);
        }
    }

    /**
     * Stores a new queued {@code job} and, when a robot here that can run it is idle and no waiting job could run on
     * that robot, gives the job to it in the same transaction (one commit instead of two, and no dispatch round),
     * then sends it. Returns the job as stored: {@code assigned}, or {@code queued} for a round to place. Throws what
     * the insert throws (a taken idempotency key), with nothing stored. Called on the submitting thread.
     */
    Job submit(Job job) {
        Slot slot;
        synchronized (lock) {
            slot = idleSlotFor(job);
            if (slot != null) {
                markBusy(slot);
                slot.currentJobId = job.id();
            }
        }
        JobStore.Assignment outcome;
        try {
            outcome = store.insert(job, slot == null ? null : new JobStore.Pair(job.id(), slot.robotId, slot.sessionId));
        } catch (RuntimeException e) {
            if (slot != null) {
                release(slot, job.id());
            }
            throw e;
        }
        if (outcome == JobStore.Assignment.ASSIGNED) {
            Job assigned = assigned(job, slot);
            metrics.counter("beacon.jobs.assigned").increment();
            send(slot, assigned);
            return assigned;
        }
        if (slot != null) {
            release(slot, job.id());
            refresh(slot);
        }
        synchronized (lock) {
            backlog(job.orgId()).queued(job);
        }
        requestDispatch(job.orgId());
        return job;
    }

    /** The slot a new job may take at once: idle, able to run it, and wanted by no waiting job. Under {@link #lock}. */
    private Slot idleSlotFor(Job job) {
        Backlog backlog = backlogs.get(job.orgId());
        TreeMap<Long, Slot> free = idle.get(job.orgId());
        if (backlog == null || !backlog.complete() || free == null) {
            return null; // a round has yet to read the queue: older jobs may be waiting
        }
        for (Slot slot : free.values()) {
            if (slot.canRun(job) && !backlog.holdsJobFor(slot.robot)) {
                return slot;
            }
        }
        return null;
    }

    /**
     * Explains a queued job from the robots connected here, when one of them could run it (null otherwise: then only
     * the organization's robots, offline ones included, can say why). The forms are {@link WaitingReason}'s.
     */
    String waitingReasonFromSlots(Job job) {
        long free = 0;
        long busy = 0;
        synchronized (lock) {
            for (Slot slot : slots.values()) {
                if (slot.orgId.equals(job.orgId()) && slot.canRun(job)) {
                    if (slot.currentJobId == null) {
                        free++;
                    } else {
                        busy++;
                    }
                }
            }
        }
        return WaitingReason.ofConnected(free, busy);
    }

    /**
     * Handles a {@code job.*} frame from an agent session; returns a problem to answer with an {@code error}
     * frame, or null. Called on the connection's thread.
     */
    public String onAgentFrame(String robotId, String orgId, String sessionId, String type, JsonNode frame) {
        JsonNode jobId = frame.get("job_id");
        if (jobId == null || !jobId.isTextual() || jobId.asText().isBlank() || jobId.asText().length() > 100) {
            return "'" + type + "' needs a string job_id.";
        }
        String id = jobId.asText();
        Instant now = clock.instant();
        switch (type) {
            case "job.accepted" -> accepted(robotId, sessionId, id, now);
            case "job.progress" -> log.debug("job {}: progress from robot {}", id, robotId);
            case "job.result" -> {
                Transition.Event.Result result;
                try {
                    result = JobFrames.result(frame);
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
                Optional<Job> settled = settle(id, sessionId, result, acceptedAt(robotId, sessionId, id));
                if (settled.isEmpty()) {
                    log.info("job {}: ignoring a result from robot {} that no longer holds it", id, robotId);
                }
                synchronized (lock) {
                    Slot slot = slots.get(robotId);
                    if (slot != null && slot.sessionId.equals(sessionId) && id.equals(slot.currentJobId)) {
                        markIdle(slot);
                    }
                }
                requestDispatch(orgId);
            }
            default -> throw new IllegalArgumentException("not a job frame: " + type);
        }
        return null;
    }

    /**
     * {@code job.accepted} for the job the robot holds is written a little later, in a batch, or never when the result
     * comes first ({@link #ACCEPT_DELAY_MILLIS}); until then the slot remembers it, so the result settles the job as
     * the running job it is. Any other accept is written at once.
     */
    private void accepted(String robotId, String sessionId, String jobId, Instant now) {
        JobStore.Accept accept = new JobStore.Accept(jobId, sessionId, now);
        boolean deferred;
        synchronized (lock) {
            Slot slot = slots.get(robotId);
            deferred = slot != null && slot.sessionId.equals(sessionId) && jobId.equals(slot.currentJobId);
            if (deferred) {
                slot.acceptedJobId = jobId;
                slot.acceptedAt = now;
                pendingAccepts.put(jobId, accept);
            }
        }
        if (!deferred) {
            store.accepted(List.of(accept));
        } else if (acceptsScheduled.compareAndSet(false, true)) {
            try {
                acceptWriter.schedule(this::writeAccepts, ACCEPT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.debug("dispatcher stopped; job {} stays assigned until its result or its session's end", jobId);
            }
        }
    }

    /** When the session accepted the job, if that is not written yet (null otherwise); it need not be written now. */
    private Instant acceptedAt(String robotId, String sessionId, String jobId) {
        synchronized (lock) {
            pendingAccepts.remove(jobId);
            Slot slot = slots.get(robotId);
            return slot != null && slot.sessionId.equals(sessionId) && jobId.equals(slot.acceptedJobId) ? slot.acceptedAt : null;
        }
    }

    /** Writes the accepts whose results have not come yet, in one transaction. On {@link #acceptWriter}. */
    private void writeAccepts() {
        acceptsScheduled.set(false);
        List<JobStore.Accept> batch;
        synchronized (lock) {
            batch = List.copyOf(pendingAccepts.values());
            pendingAccepts.clear();
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            store.accepted(batch);
        } catch (RuntimeException e) {
            // Not lost: each job's result or its session's end settles it from 'assigned' just the same.
            log.warn("could not mark {} accepted jobs running", batch.size(), e);
        }
    }

    /** Tells the agent running {@code job} to stop it (after {@link JobStore#requestCancel}). */
    void sendCancel(Job job) {
        Slot slot;
        synchronized (lock) {
            slot = slots.get(job.robotId());
            if (slot == null || !slot.sessionId.equals(job.sessionId())) {
                return;
            }
            if (job.id().equals(slot.currentJobId) && !job.id().equals(slot.sentJobId)) {
                slot.cancelAfterSend = job.id(); // the assign is on its way: the cancel must follow it, not pass it
                return;
            }
        }
        slot.link.send(cancelFrame(job.id()));
    }

    /**
     * Gives up on jobs past their deadline (telling their agents to stop them), frees robots whose drain time
     * passed, and runs a dispatch round, reading the queue again, for every organization with a robot here.
     * Run every second.
     */
    public void sweep() {
        try {
            Instant now = clock.instant();
            for (Job job : store.overdue(now, GRACE_MILLIS)) {
                String reason = job.cancelRequestedAt() != null
                        ? "robot " + job.robotId() + " did not confirm the cancel"
                        : "no result from robot " + job.robotId() + " within timeout_s " + job.timeoutS() + " s";
                String sessionId = job.sessionId();
                settle(job.id(), sessionId, new Transition.Event.Overdue(reason)).ifPresent(settled -> {
                    Slot slot;
                    synchronized (lock) {
                        slot = slots.get(job.robotId());
                        if (slot == null || !slot.sessionId.equals(sessionId)) {
                            return;
                        }
                        slot.drainUntilMillis = clock.millis() + DRAIN_MILLIS;
                    }
                    slot.link.send(cancelFrame(job.id()));
                });
            }
        } catch (RuntimeException e) {
            log.warn("job sweep failed; will retry", e);
        }
        Set<String> orgs = new HashSet<>();
        synchronized (lock) {
            long nowMillis = clock.millis();
            for (Slot slot : slots.values()) {
                if (slot.currentJobId != null && slot.drainUntilMillis != 0 && slot.drainUntilMillis < nowMillis) {
                    markIdle(slot);
                }
                orgs.add(slot.orgId);
            }
        }
        for (String orgId : orgs) {
            rereadOrgs.add(orgId);
            requestDispatch(orgId);
        }
    }

    private Optional<Job> settle(String jobId, String sessionId, Transition.Event event) {
        return settle(jobId, sessionId, event, null);
    }

    private Optional<Job> settle(String jobId, String sessionId, Transition.Event event, Instant acceptedAt) {
        Optional<Job> settled = store.settle(jobId, sessionId, event, clock.instant(), acceptedAt);
        settled.ifPresent(job -> {
            metrics.counter("beacon.jobs.settled", "status", job.status()).increment();
            log.info("job {} ({}): {}{}", job.id(), job.kind(), job.status(), job.error() == null ? "" : " — " + job.error());
            if (Job.QUEUED.equals(job.status())) {
                synchronized (lock) {
                    backlog(job.orgId()).queued(job);
                }
            }
        });
        return settled;
    }

    private void drain() {
        drainScheduled.set(false);
        for (String orgId : List.copyOf(dirtyOrgs)) {
            dirtyOrgs.remove(orgId);
            try {
                dispatch(orgId);
            } catch (RuntimeException e) {
                log.warn("dispatch for organization {} failed; the next sweep retries", orgId, e);
            }
        }
    }

    /** One dispatch round for an organization, on the dispatcher thread. */
    private void dispatch(String orgId) {
        Backlog backlog;
        List<Job> queue;
        boolean read;
        synchronized (lock) {
            TreeMap<Long, Slot> free = idle.get(orgId);
            if (free == null || free.isEmpty()) {
                return; // nothing to plan; a robot becoming idle asks for a round again
            }
            backlog = backlog(orgId);
            read = rereadOrgs.remove(orgId) || !backlog.complete();
            queue = backlog.startRound();
        }
        if (read) {
            try {
                queue = store.queued(orgId, QUEUE_WINDOW);
            } catch (RuntimeException e) {
                synchronized (lock) {
                    backlog.abandonRound();
                }
                throw e;
            }
        }
        // Plan the round in memory, reserving each robot for its job, then claim every pair in one transaction.
        List<Plan> plans = new ArrayList<>();
        synchronized (lock) {
            TreeMap<Long, Slot> free = idle.getOrDefault(orgId, new TreeMap<>());
            for (Job job : queue) {
                if (free.isEmpty()) {
                    break;
                }
                for (Slot slot : free.values()) {
                    if (slot.canRun(job)) {
                        markBusy(slot);
                        slot.currentJobId = job.id();
                        plans.add(new Plan(job, slot));
                        break;
                    }
                }
            }
            // Counted once the queue was weighed against the idle robots: tests wait on it to know a round left a job waiting.
            metrics.counter("beacon.jobs.dispatch.rounds").increment();
            if (plans.isEmpty()) {
                backlog.endRound(queue, read, Set.of());
                return;
            }
        }
        List<JobStore.Pair> pairs = plans.stream().map(plan -> new JobStore.Pair(plan.job().id(), plan.slot().robotId,
                plan.slot().sessionId)).toList();
        List<JobStore.Assignment> outcomes;
        Instant now = clock.instant();
        try {
            outcomes = store.assignAll(pairs, now);
        } catch (RuntimeException e) {
            synchronized (lock) {
                plans.forEach(plan -> releaseLocked(plan.slot(), plan.job().id()));
                backlog.abandonRound();
            }
            throw e;
        }
        List<Plan> assigned = new ArrayList<>();
        List<Slot> unavailable = new ArrayList<>();
        Set<String> gone = new HashSet<>();
        boolean retry = false;
        synchronized (lock) {
            for (int i = 0; i < outcomes.size(); i++) {
                Plan plan = plans.get(i);
                switch (outcomes.get(i)) {
                    case ASSIGNED -> {
                        plan.slot().drainUntilMillis = 0;
                        assigned.add(plan);
                        gone.add(plan.job().id());
                    }
                    // The job was cancelled or taken by another node since we looked: its robot is free for the next
                    // round at once. A robot that became unavailable waits for the 1 s sweep instead of a tight loop.
                    case JOB_TAKEN -> {
                        releaseLocked(plan.slot(), plan.job().id());
                        gone.add(plan.job().id());
                        retry = true;
                    }
                    case ROBOT_UNAVAILABLE -> {
                        releaseLocked(plan.slot(), plan.job().id());
                        unavailable.add(plan.slot());
                    }
                }
            }
            backlog.endRound(queue, read, gone);
        }
        for (Plan plan : assigned) {
            metrics.counter("beacon.jobs.assigned").increment();
            send(plan.slot(), assigned(plan.job(), plan.slot(), now));
        }
        unavailable.forEach(this::refresh);
        // A full window means more may be queued behind it: the backlog is incomplete, so the next round reads on.
        if (retry || (read && !assigned.isEmpty() && queue.size() == QUEUE_WINDOW)) {
            requestDispatch(orgId);
        }
    }

    /** Sends {@code job.assign}, then a cancel that arrived while it was on its way. */
    private void send(Slot slot, Job job) {
        slot.link.send(assignFrame(job));
        boolean cancel;
        synchronized (lock) {
            if (job.id().equals(slot.currentJobId)) {
                slot.sentJobId = job.id();
            }
            cancel = job.id().equals(slot.cancelAfterSend);
            if (cancel) {
                slot.cancelAfterSend = null;
            }
        }
        if (cancel) {
            slot.link.send(cancelFrame(job.id()));
        }
    }

    /** Reads the robot's facts again (it may have been paused or removed since its hello). */
    private void refresh(Slot slot) {
        Robot robot = robots.byId(slot.orgId, slot.robotId).orElse(null);
        synchronized (lock) {
            slot.robot = robot;
        }
    }

    private void release(Slot slot, String jobId) {
        synchronized (lock) {
            releaseLocked(slot, jobId);
        }
    }

    /** Frees a slot reserved for {@code jobId} that did not get it, keeping its place in the idle order. */
    private void releaseLocked(Slot slot, String jobId) {
        if (jobId.equals(slot.currentJobId) && slots.get(slot.robotId) == slot) {
            slot.currentJobId = null;
            idle.computeIfAbsent(slot.orgId, org -> new TreeMap<>()).put(slot.idleSince, slot);
        }
    }

    /** The slot becomes idle, last in line. Under {@link #lock}. */
    private void markIdle(Slot slot) {
        markBusy(slot);
        slot.currentJobId = null;
        slot.acceptedJobId = null;
        slot.acceptedAt = null;
        slot.drainUntilMillis = 0;
        slot.idleSince = ++idleCounter;
        idle.computeIfAbsent(slot.orgId, org -> new TreeMap<>()).put(slot.idleSince, slot);
    }

    /** The slot leaves the idle line (given a job, or gone). Under {@link #lock}. */
    private void markBusy(Slot slot) {
        TreeMap<Long, Slot> free = idle.get(slot.orgId);
        if (free != null && free.get(slot.idleSince) == slot) {
            free.remove(slot.idleSince);
        }
    }

    /** Under {@link #lock}. */
    private Backlog backlog(String orgId) {
        return backlogs.computeIfAbsent(orgId, org -> new Backlog(QUEUE_WINDOW));
    }

    /** The job as {@link JobStore#assignAll} or {@link JobStore#insert} left it, given to {@code slot}. */
    private static Job assigned(Job job, Slot slot, Instant at) {
        Instant now = Instant.ofEpochMilli(at.toEpochMilli()); // what the database keeps
        return new Job(job.id(), job.orgId(), job.kind(), job.payload(), job.target(), job.priority(), job.timeoutS(),
                job.maxAttempts(), job.attempts() + 1, Job.ASSIGNED, slot.robotId, slot.sessionId, job.idempotencyKey(), null, null,
                job.error(), job.createdBy(), job.createdAt(), job.queuedAt(), now, null, null, null, now);
    }

    private static Job assigned(Job job, Slot slot) {
        return assigned(job, slot, job.createdAt());
    }

    /** {@code job.assign} for a job as assigned: {@code attempt} counts from 1 and grows each time the job is assigned again. */
    private String assignFrame(Job job) {
        ObjectNode frame = json.createObjectNode().put("type", "job.assign").put("job_id", job.id()).put("kind", job.kind());
        frame.set("payload", job.payload());
        return frame.put("timeout_s", job.timeoutS()).put("attempt", job.attempts()).toString();
    }

    private String cancelFrame(String jobId) {
        return json.createObjectNode().put("type", "job.cancel").put("job_id", jobId).toString();
    }

    private void run(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("dispatcher task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("dispatcher stopped; dropping a task");
        }
    }

    /** Stops the dispatcher thread, waiting briefly for the task at hand. */
    @Override
    public void close() {
        acceptWriter.shutdownNow();
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
