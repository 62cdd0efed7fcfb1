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
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands queued jobs to the idle robots connected to this node and follows each job to its end. Which robot is
 * idle is known in memory (one {@code Slot} per greeted session, touched only on the dispatcher's own thread, so
 * a robot is given one job at a time); whether a job is still free is decided in SQL ({@link JobStore#assign}),
 * so a job never goes to two robots. Callers on any thread report what agents say and do; the methods that
 * settle a job write to the database on the caller's thread before returning. Thread-safe.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** Past {@code timeout_s}, an agent gets this long to report its own timeout before the server gives up on it. */
    static final long GRACE_MILLIS = 5_000;
    /** After giving up on a job, its robot gets no new job until it reports the old one or this long has passed. */
    static final long DRAIN_MILLIS = 10_000;
    /** Queue rows read per dispatch round; a longer queue is read again in the next round. */
    private static final int QUEUE_WINDOW = 500;

    private final JobStore store;
    private final RobotStore robots;
    private final Clock clock;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("beacon-dispatcher").factory());
    /** Robot id → its greeted session on this node; only touched on {@link #thread}. */
    private final Map<String, Slot> slots = new HashMap<>();
    private final Set<String> dirtyOrgs = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private long idleCounter;

    /** One greeted session; mutable, confined to the dispatcher thread. */
    private static final class Slot {
        final String robotId;
        final String orgId;
        final String sessionId;
        final AgentLink link;
        String currentJobId;
        long idleSince;
        long drainUntilMillis;
        /**
         * The robot's facts (capabilities, labels, fleet, site, paused) as of its hello, so a dispatch round
         * needs no read of every robot; refreshed when a claim finds the robot unavailable (paused since).
         */
        Robot robot;

        Slot(String robotId, String orgId, String sessionId, AgentLink link) {
            this.robotId = robotId;
            this.orgId = orgId;
            this.sessionId = sessionId;
            this.link = link;
        }
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
        run(() -> {
            Slot slot = new Slot(robotId, orgId, sessionId, link);
            slot.robot = robots.byId(orgId, robotId).orElse(null);
            slot.idleSince = ++idleCounter;
            slots.put(robotId, slot);
            requestDispatch(orgId);
        });
    }

    /**
     * Called when a greeted session ends: every job it held goes back to the queue (or ends), written before this
     * returns, so a server shutting down leaves nothing held.
     */
    public void robotGone(String robotId, String sessionId, String reason) {
        try {
            for (Job job : store.heldBy(sessionId)) {
                settle(job.id(), sessionId, new Transition.Event.Lost("robot " + robotId + " disconnected (" + reason + ")"))
                        .ifPresent(settled -> requestDispatch(settled.orgId()));
            }
        } catch (RuntimeException e) {
            log.warn("could not settle the jobs of session {}; the timeout sweep will", sessionId, e);
        }
        run(() -> slots.computeIfPresent(robotId, (id, slot) -> slot.sessionId.equals(sessionId) ? null : slot));
    }

    /** Called when a robot's pause is lifted: its facts are read again, then it may be given jobs. */
    public void robotResumed(Robot robot) {
        run(() -> {
            Slot slot = slots.get(robot.id());
            if (slot != null) {
                slot.robot = robot;
            }
            requestDispatch(robot.orgId());
        });
    }

    /** Called when anything may have made a robot eligible for a queued job. */
    public void requestDispatch(String orgId) {
        dirtyOrgs.add(orgId);
        if (drainScheduled.compareAndSet(false, true)) {
            run(this::drain);
        }
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
            case "job.accepted" -> store.accepted(id, sessionId, now);
            case "job.progress" -> log.debug("job {}: progress from robot {}", id, robotId);
            case "job.result" -> {
                Transition.Event.Result result;
                try {
                    result = JobFrames.result(frame);
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
                Optional<Job> settled = settle(id, sessionId, result);
                if (settled.isEmpty()) {
                    log.info("job {}: ignoring a result from robot {} that no longer holds it", id, robotId);
                }
                run(() -> {
                    Slot slot = slots.get(robotId);
                    if (slot != null && slot.sessionId.equals(sessionId) && id.equals(slot.currentJobId)) {
                        slot.currentJobId = null;
                        slot.idleSince = ++idleCounter;
                    }
                });
                requestDispatch(orgId);
            }
            default -> throw new IllegalArgumentException("not a job frame: " + type);
        }
        return null;
    }

    /** Tells the agent running {@code job} to stop it (after {@link JobStore#requestCancel}). */
    void sendCancel(Job job) {
        String frame = json.createObjectNode().put("type", "job.cancel").put("job_id", job.id()).toString();
        run(() -> {
            Slot slot = slots.get(job.robotId());
            if (slot != null && slot.sessionId.equals(job.sessionId())) {
                slot.link.send(frame);
            }
        });
    }

    /**
     * Gives up on jobs past their deadline (telling their agents to stop them), frees robots whose drain time
     * passed, and runs a dispatch round for every organization with a robot here. Run every second.
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
                    String cancel = json.createObjectNode().put("type", "job.cancel").put("job_id", job.id()).toString();
                    run(() -> {
                        Slot slot = slots.get(job.robotId());
                        if (slot != null && slot.sessionId.equals(sessionId)) {
                            slot.link.send(cancel);
                            slot.drainUntilMillis = clock.millis() + DRAIN_MILLIS;
                        }
                    });
                });
            }
        } catch (RuntimeException e) {
            log.warn("job sweep failed; will retry", e);
        }
        run(() -> {
            long nowMillis = clock.millis();
            for (Slot slot : slots.values()) {
                if (slot.currentJobId != null && slot.drainUntilMillis != 0 && slot.drainUntilMillis < nowMillis) {
                    slot.currentJobId = null;
                    slot.drainUntilMillis = 0;
                }
                requestDispatch(slot.orgId);
            }
        });
    }

    private Optional<Job> settle(String jobId, String sessionId, Transition.Event event) {
        Optional<Job> settled = store.settle(jobId, sessionId, event, clock.instant());
        settled.ifPresent(job -> {
            metrics.counter("beacon.jobs.settled", "status", job.status()).increment();
            log.info("job {} ({}): {}{}", job.id(), job.kind(), job.status(), job.error() == null ? "" : " — " + job.error());
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
        List<Slot> idle = slots.values().stream()
                .filter(slot -> slot.orgId.equals(orgId) && slot.currentJobId == null)
                .sorted(Comparator.comparingLong(slot -> slot.idleSince))
                .collect(Collectors.toCollection(ArrayList::new));
        if (idle.isEmpty()) {
            return;
        }
        List<Job> queue = store.queued(orgId, QUEUE_WINDOW);
        if (queue.isEmpty()) {
            return;
        }
        // Plan the round in memory, then claim every pair in one transaction: one commit per round, not per job.
        List<JobStore.Pair> pairs = new ArrayList<>();
        List<Job> planned = new ArrayList<>();
        List<Slot> plannedSlots = new ArrayList<>();
        for (Job job : queue) {
            if (idle.isEmpty()) {
                break;
            }
            for (Iterator<Slot> candidates = idle.iterator(); candidates.hasNext(); ) {
                Slot slot = candidates.next();
                Robot robot = slot.robot;
                if (robot == null || robot.isPaused() || !job.target().matches(robot, job.kind())) {
                    continue;
                }
                candidates.remove();
                pairs.add(new JobStore.Pair(job.id(), slot.robotId, slot.sessionId));
                planned.add(job);
                plannedSlots.add(slot);
                break;
            }
        }
        if (pairs.isEmpty()) {
            return;
        }
        List<JobStore.Assignment> outcomes = store.assignAll(pairs, clock.instant());
        boolean assignedAny = false;
        boolean retry = false;
        for (int i = 0; i < outcomes.size(); i++) {
            Slot slot = plannedSlots.get(i);
            switch (outcomes.get(i)) {
                case ASSIGNED -> {
                    Job job = planned.get(i);
                    slot.currentJobId = job.id();
                    slot.drainUntilMillis = 0;
                    slot.link.send(assignFrame(job));
                    metrics.counter("beacon.jobs.assigned").increment();
                    assignedAny = true;
                }
                // The job was cancelled or taken by another node since we looked: its robot is free for the next
                // round at once. A robot that became unavailable waits for the 1 s sweep instead of a tight loop.
                case JOB_TAKEN -> {
                    retry = true;
                }
                case ROBOT_UNAVAILABLE -> slot.robot = robots.byId(orgId, slot.robotId).orElse(null);
            }
        }
        if (retry) {
            requestDispatch(orgId);
        }
        if (assignedAny && queue.size() == QUEUE_WINDOW) {
            requestDispatch(orgId);
        }
    }

    private String assignFrame(Job job) {
        ObjectNode frame = json.createObjectNode().put("type", "job.assign").put("job_id", job.id()).put("kind", job.kind());
        frame.set("payload", job.payload());
        return frame.put("timeout_s", job.timeoutS()).toString();
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
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
