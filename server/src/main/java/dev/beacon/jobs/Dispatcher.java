package dev.beacon.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands queued jobs to the idle robots connected to this node and follows each job to its end. It puts together
 * the parts that do it: the {@link IdleRegistry} (which robot here is idle, in memory), a {@link DispatchRound}
 * (plan → claim → send, on the dispatcher thread {@code beacon-dispatcher}), the {@link Sweeper} (timeouts and
 * restart reconciliation), the {@link AcceptBatcher} (deferred {@code job.accepted} writes on
 * {@code beacon-job-accepts}) and, on several nodes, the {@link Handovers}. Whether a job is still free is decided in SQL ({@link JobStore#assignAll}), so a job
 * never goes to two robots. A job submitted while a matching robot here is idle, and no job already waiting could run
 * on that robot, is given to it in the transaction that stores it ({@link #submit}); on several nodes, a job no robot here
 * can take goes the same way to an idle robot of another node ({@link Handovers}); every other job waits for a
 * round, which plans from the {@link Backlog} and reads the queue again when that is incomplete and once a second.
 * Callers on any thread report what agents say and do; the methods that settle a job write to the database on the
 * caller's thread before returning. Thread-safe.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /**
     * The reason a session ends when its own server shuts down ({@code bye: shutdown}): the jobs it still holds go back
     * to the queue with their attempt given back ({@link Transition.Event.Interrupted}).
     */
    public static final String SHUTDOWN = "shutdown";

    private final JobStore store;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final IdleRegistry registry = new IdleRegistry(DispatchRound.QUEUE_WINDOW);
    private final RobotFacts facts;
    private final JobSender sender;
    private final JobSettler settler;
    private final DispatchRound round;
    private final Sweeper sweeper;
    private final AcceptBatcher accepts;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("beacon-dispatcher").factory());
    /** Organizations that asked for a round since the dispatcher thread last looked. */
    private final Set<String> dirtyOrgs = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** Set once the node drains before shutting down: no job goes to this node's agents any more. */
    private volatile boolean stopped;
    /** Jobs given to and from other nodes, once this node is one of several ({@link #placeAcrossNodes}); null on SQLite. */
    private volatile Handovers handovers;

    public Dispatcher(JobStore store, RobotStore robots, Clock clock, ObjectMapper json, MeterRegistry metrics) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.facts = new RobotFacts(robots, registry);
        this.sender = new JobSender(new FrameCodec(json), registry);
        this.settler = new JobSettler(store, registry, clock, metrics);
        this.round = new DispatchRound(store, registry, sender, facts, clock, metrics);
        this.sweeper = new Sweeper(store, registry, settler, sender, clock);
        this.accepts = new AcceptBatcher(store);
    }

    /**
     * A job this node gave to a robot whose session node {@code nodeId} holds: that node sends the robot its
     * {@code job.assign} ({@link #assignedHere}). {@code assign} is that frame for the job as the statement that
     * stored it left it, or null when the holding node is to read the job by id (a job too large to carry in a
     * signal, or a handover from a node of an earlier release).
     */
    public record Handover(String nodeId, String orgId, String jobId, String robotId, String sessionId, Frame.JobAssign assign) {
    }

    /**
     * Makes this dispatcher one of several nodes' (PostgreSQL): a job submitted here that no robot here takes at
     * once goes, in the statement that stores it, to an idle robot of another node when one can run it, and
     * {@code handovers} is told after commit, so that the holding node sends it. Without this, such a job waits
     * in the queue for a round on the node that holds a robot for it. {@code nodeId} gives the node's id as robot rows
     * name it now (a node that lost its lease rejoins under a new one). Called once, at wiring.
     */
    public void placeAcrossNodes(Supplier<String> nodeId, Consumer<Handover> handovers) {
        this.handovers = new Handovers(store, registry, sender, settler, metrics, nodeId, handovers, this::schedule, this::requestDispatch);
    }

    /**
     * At server start, before agents connect: every job held by a session no live node holds goes back to the queue,
     * or ends when its attempts are spent; jobs held through live nodes are theirs. {@code liveSince}: the oldest
     * heartbeat a live node may have. Returns how many were settled.
     */
    public int reconcileAtStart(Instant liveSince) {
        return sweeper.reconcileAtStart(liveSince);
    }

    /**
     * Called by the survivor that took over dead node {@code nodeId}, before its robots are marked offline: every job
     * its open sessions held goes back to the queue (a round here places it) or ends when its attempts are spent.
     * Returns how many were settled. On the caller's thread.
     */
    public int nodeLost(String nodeId, String nodeName) {
        List<Job> settled = sweeper.nodeLost(nodeId, nodeName);
        settled.forEach(job -> requestDispatch(job.orgId()));
        return settled.size();
    }

    /** Called when an agent session says hello: the robot may now be given jobs. */
    public void robotGreeted(String robotId, String orgId, String sessionId, AgentLink link) {
        Slot slot = new Slot(robotId, orgId, sessionId, link);
        slot.robot = facts.read(orgId, robotId);
        registry.greeted(slot);
        requestDispatch(orgId);
    }

    /**
     * Called when a greeted session ends: every job it held goes back to the queue (or ends), written before this
     * returns, so a server shutting down leaves nothing held. When the session ended because this server shuts down
     * ({@value #SHUTDOWN}), the jobs go back to the queue with their attempt given back.
     */
    public void robotGone(String robotId, String sessionId, String reason) {
        try {
            store.heldBy(sessionId).forEach(job -> settleHeld(job, reason));
        } catch (RuntimeException e) {
            log.warn("could not settle the jobs of session {}; the timeout sweep will", sessionId, e);
        }
        registry.gone(robotId, sessionId);
    }

    /**
     * {@link #robotGone} for many sessions that ended for the same reason (a shutdown ends every session here): the
     * jobs they held are found with one read per few hundred sessions instead of one per session.
     * {@code sessionByRobot}: each robot's ended session.
     */
    public void robotsGone(Map<String, String> sessionByRobot, String reason) {
        try {
            store.heldBy(sessionByRobot.values()).forEach(job -> settleHeld(job, reason));
        } catch (RuntimeException e) {
            log.warn("could not settle the jobs of {} ended sessions; the timeout sweep will", sessionByRobot.size(), e);
        }
        sessionByRobot.forEach(registry::gone);
    }

    /** Settles a job whose session ended for {@code reason}; at {@value #SHUTDOWN} its attempt is given back. */
    private void settleHeld(Job job, String reason) {
        Transition.Event event = SHUTDOWN.equals(reason)
                ? new Transition.Event.Interrupted("the server holding robot " + job.robotId() + " shut down before the job ended")
                : new Transition.Event.Lost("robot " + job.robotId() + " disconnected (" + reason + ")");
        settler.settle(job.id(), job.sessionId(), event, acceptedAt(job.robotId(), job.sessionId(), job.id()))
                .ifPresent(settled -> requestDispatch(settled.orgId()));
    }

    /** Called when a robot's pause is lifted: its facts are read again, then it may be given jobs. */
    public void robotResumed(Robot robot) {
        registry.refreshed(robot.id(), RobotFacts.kept(robot));
        requestDispatch(robot.orgId());
    }

    /**
     * A job of the organization was queued, or a robot freed, on another server node: this node's backlog does not
     * know of it, so the next round reads the queue again.
     */
    public void queuedElsewhere(String orgId) {
        round.rereadNext(orgId);
        requestDispatch(orgId);
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
     * then sends it. On several nodes, a job no robot here takes goes the same way to an idle robot of another node
     * ({@link #placeAcrossNodes}). Returns the job as stored: {@code assigned}, or {@code queued} for a round to place.
     * Throws what the insert throws (a taken idempotency key), with nothing stored. Called on the submitting thread.
     */
    Job submit(Job job) {
        Slot slot = stopped ? null : registry.reserveForNew(job);
        Handovers across = handovers;
        if (slot == null && across != null) {
            Job placed = across.place(job);
            return placed != null ? placed : queued(job);
        }
        JobStore.Assignment outcome;
        try {
            outcome = store.insert(job, slot == null ? null : new JobStore.Pair(job.id(), slot.robotId, slot.sessionId));
        } catch (RuntimeException e) {
            if (slot != null) {
                registry.release(slot, job.id());
            }
            throw e;
        }
        if (outcome == JobStore.Assignment.ASSIGNED) {
            Job assigned = DispatchRound.assigned(job, slot.robotId, slot.sessionId, job.createdAt());
            metrics.counter("beacon.jobs.assigned").increment();
            sender.assign(slot, assigned);
            return assigned;
        }
        if (slot != null) {
            registry.release(slot, job.id());
            facts.refresh(slot);
        }
        return queued(job);
    }

    private Job queued(Job job) {
        registry.queued(job);
        requestDispatch(job.orgId());
        return job;
    }

    /**
     * Another node gave a job to a robot whose session this node holds ({@link Handover}): the robot is sent its
     * {@code job.assign} — the one the handover carries, or else the job as read by id, when it is still assigned to
     * that session — followed by a {@code job.cancel} when a cancel was requested meanwhile. When the slot is still
     * busy with the job it just finished (the result's write committed, the registry not yet told) or the session's
     * hello is still being registered, it is tried again shortly; a session that ended gives the job back to the
     * queue with its attempt. Called on the listening thread; the {@link #sweep} catches up on lost signals.
     */
    public void assignedHere(Handover handover) {
        Handovers across = handovers;
        if (across != null) {
            across.arrived(handover);
        }
    }

    /**
     * Explains a queued job from the robots connected here, when one of them could run it (null otherwise: then only
     * the organization's robots, offline ones included, can say why). The forms are {@link WaitingReason}'s.
     */
    String waitingReasonFromSlots(Job job) {
        long[] connected = registry.connectedFor(job);
        return WaitingReason.ofConnected(connected[0], connected[1]);
    }

    /** An agent session started a job ({@code job.accepted}). Called on the connection's thread. */
    public void jobAccepted(String robotId, String sessionId, Frame.JobAccepted frame) {
        accepted(robotId, sessionId, frame.jobId(), clock.instant());
    }

    /** An agent session said how far a job is ({@code job.progress}): only logged. Called on the connection's thread. */
    public void jobProgress(String robotId, Frame.JobProgress frame) {
        log.debug("job {}: progress from robot {}", frame.jobId(), robotId);
    }

    /**
     * An agent session says how a job ended ({@code job.result}): the job is settled before this returns, and the
     * robot is idle again. Called on the connection's thread.
     */
    public void jobResult(String robotId, String orgId, String sessionId, Frame.JobResult frame) {
        String id = frame.jobId();
        Optional<Job> settled = settler.settle(id, sessionId, JobFrames.result(frame), acceptedAt(robotId, sessionId, id));
        if (settled.isEmpty()) {
            log.info("job {}: ignoring a result from robot {} that no longer holds it", id, robotId);
        }
        registry.finished(robotId, sessionId, id);
        requestDispatch(orgId);
    }

    /**
     * {@code job.accepted} for the job the robot holds is written a little later, in a batch, or never when the result
     * comes first ({@link AcceptBatcher}); until then the slot remembers it, so the result settles the job as the
     * running job it is. Any other accept is written at once.
     */
    private void accepted(String robotId, String sessionId, String jobId, Instant now) {
        JobStore.Accept accept = new JobStore.Accept(jobId, sessionId, now);
        if (registry.accepted(robotId, sessionId, jobId, now)) {
            accepts.defer(accept);
        } else {
            store.accepted(List.of(accept));
        }
    }

    /** When the session accepted the job, if that is not written yet (null otherwise); it need not be written now. */
    private Instant acceptedAt(String robotId, String sessionId, String jobId) {
        accepts.forget(jobId);
        return registry.acceptedAt(robotId, sessionId, jobId);
    }

    /**
     * Cancelling the job was requested ({@link JobStore#requestCancel}): when its session is here, its agent is told
     * to stop it. Called on the requesting thread, or on the listening thread for a request made on another node.
     */
    public void cancelRequested(String orgId, String jobId) {
        store.byId(orgId, jobId).filter(Job::isHeld).ifPresent(this::sendCancel);
    }

    /**
     * Tells the agent running {@code job} to stop it (after {@link JobStore#requestCancel}); when the job's
     * {@code job.assign} has not gone out yet (another node's handover may not even have arrived), right after it.
     */
    void sendCancel(Job job) {
        Slot slot = registry.cancelTarget(job);
        if (slot != null) {
            sender.cancel(slot, job.id());
        }
    }

    /**
     * Gives up on jobs past their deadline (telling their agents to stop them), frees robots whose drain time
     * passed, and runs a dispatch round, reading the queue again, for every organization with a robot here.
     * Run every second, on the server's scheduler thread.
     */
    public void sweep() {
        Handovers across = handovers;
        if (across != null) {
            across.catchUp();
        }
        for (String orgId : sweeper.sweep()) {
            round.rereadNext(orgId);
            requestDispatch(orgId);
        }
    }

    /**
     * The node drains before shutting down: from now on no job is given to its agents (no round runs, and a submit
     * here only queues), so jobs queued meanwhile wait for agents on other nodes. Jobs already held run on; see
     * {@link #heldOnNode}. Called once, by the shutdown.
     */
    public void stopDispatching() {
        stopped = true;
    }

    /** How many jobs the sessions node {@code nodeId} has open hold (assigned or running): what a drain waits for. */
    public int heldOnNode(String nodeId) {
        return store.heldOnNode(nodeId).size();
    }

    /** Runs a round for each organization that asked for one, unless dispatching stopped. On the dispatcher thread. */
    private void drain() {
        drainScheduled.set(false);
        if (stopped) {
            return; // what asked stays marked: nothing runs here any more
        }
        for (String orgId : List.copyOf(dirtyOrgs)) {
            dirtyOrgs.remove(orgId);
            try {
                if (round.run(orgId)) {
                    requestDispatch(orgId);
                }
            } catch (RuntimeException e) {
                log.warn("dispatch for organization {} failed; the next sweep retries", orgId, e);
            }
        }
    }

    private void run(Runnable task) {
        schedule(task, 0);
    }

    private void schedule(Runnable task, long delayMillis) {
        try {
            thread.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("dispatcher task failed", e);
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("dispatcher stopped; dropping a task");
        }
    }

    /** Stops the dispatcher thread, waiting briefly for the task at hand. */
    @Override
    public void close() {
        accepts.close();
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
