package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The in-memory registry of this node's greeted sessions ({@link Slot}s): which are idle, longest idle first, which
 * job each is reserved for, and each organization's {@link Backlog}. Every method holds the registry's one lock
 * (its monitor) for in-memory work only, never across a database call or a send. Used from every thread that
 * touches dispatching: connection threads (hello, frames, close), submitting threads, the dispatcher thread and the
 * sweeper. A caller that needs several calls to be atomic holds the registry's monitor across them (a round does,
 * to settle its claims and its backlog at once). Thread-safe.
 */
final class IdleRegistry {
    private final int queueWindow;
    /** Robot id → its greeted session on this node. */
    private final Map<String, Slot> slots = new HashMap<>();
    /** Organization → its idle slots, longest idle first (by {@code idleSince}). */
    private final Map<String, TreeMap<Long, Slot>> idle = new HashMap<>();
    /** Organization → what this node knows of its queue. */
    private final Map<String, Backlog> backlogs = new HashMap<>();
    /** Organization → how many of its robots have a slot here (so the once-a-second sweep need not walk the slots). */
    private final Map<String, Integer> slotsByOrg = new HashMap<>();
    /** Slots given a drain time; a slot whose drain ended otherwise, or that is gone, leaves at the next sweep. */
    private final Set<Slot> draining = new HashSet<>();
    private long idleCounter;

    /** {@code queueWindow}: the queue rows a round reads, which also bounds each backlog. */
    IdleRegistry(int queueWindow) {
        this.queueWindow = queueWindow;
    }

    /** A session said hello: it replaces the robot's older session, if any, and is idle, last in line. */
    synchronized void greeted(Slot slot) {
        Slot old = slots.put(slot.robotId, slot);
        if (old != null) {
            markBusy(old);
            left(old);
        }
        slotsByOrg.merge(slot.orgId, 1, Integer::sum);
        markIdle(slot);
    }

    /** A session ended: it leaves the registry (unless a newer session of the robot replaced it already). */
    synchronized void gone(String robotId, String sessionId) {
        Slot slot = slots.get(robotId);
        if (slot != null && slot.sessionId.equals(sessionId)) {
            slots.remove(robotId);
            markBusy(slot);
            left(slot);
        }
    }

    /** A slot left the registry: its organization counts one robot fewer here. */
    private void left(Slot slot) {
        draining.remove(slot);
        slotsByOrg.computeIfPresent(slot.orgId, (org, count) -> count > 1 ? count - 1 : null);
    }

    /** The robot's facts changed (resumed, or read again after a claim found it unavailable). */
    synchronized void refreshed(String robotId, Robot robot) {
        Slot slot = slots.get(robotId);
        if (slot != null) {
            slot.robot = robot;
        }
    }

    /** Sets the facts of this very slot (read again for it). */
    synchronized void refreshed(Slot slot, Robot robot) {
        slot.robot = robot;
    }

    /** The session's slot when it is the robot's current one here, else null. */
    synchronized Slot current(String robotId, String sessionId) {
        Slot slot = slots.get(robotId);
        return slot != null && slot.sessionId.equals(sessionId) ? slot : null;
    }

    /**
     * Reserves for a new job the slot it may take at once: idle, able to run it, and wanted by no waiting job; null
     * when there is none, or when a round has yet to read the queue (older jobs may be waiting).
     */
    synchronized Slot reserveForNew(Job job) {
        Backlog backlog = backlogs.get(job.orgId());
        TreeMap<Long, Slot> free = idle.get(job.orgId());
        if (backlog == null || !backlog.complete() || free == null) {
            return null;
        }
        for (Slot slot : free.values()) {
            if (slot.canRun(job) && !backlog.holdsJobFor(slot.robot)) {
                reserve(slot, job.id());
                return slot;
            }
        }
        return null;
    }

    /** What {@link #handOver} found: the slot took the job, held it already, is busy with another, or is not here. */
    enum Outcome { TAKEN, HELD, BUSY, ABSENT }

    /** The outcome of a {@link #handOver}, with the slot that took the job (null unless {@code TAKEN}). */
    record Handover(Outcome outcome, Slot slot) {
    }

    /**
     * Another node gave {@code jobId} to the robot's session here (the database says so): its slot takes it, unless
     * the session is not the robot's current one here, or the slot holds a job already. A slot that takes it cancels
     * it right after its {@code job.assign} when {@code cancelRequested} or a cancel of it came before
     * ({@link #cancelTarget}).
     */
    synchronized Handover handOver(String robotId, String sessionId, String jobId, boolean cancelRequested) {
        Slot slot = current(robotId, sessionId);
        if (slot == null) {
            return new Handover(Outcome.ABSENT, null);
        }
        if (jobId.equals(slot.currentJobId)) {
            return new Handover(Outcome.HELD, null);
        }
        if (slot.currentJobId != null) {
            return new Handover(Outcome.BUSY, null);
        }
        reserve(slot, jobId);
        slot.drainUntilMillis = 0;
        if (cancelRequested || jobId.equals(slot.cancelOnHandover)) {
            slot.cancelAfterSend = jobId;
            slot.cancelOnHandover = null;
        }
        return new Handover(Outcome.TAKEN, slot);
    }

    /** Whether the session is the robot's current one here and holds no job. */
    synchronized boolean isIdle(String robotId, String sessionId) {
        Slot slot = current(robotId, sessionId);
        return slot != null && slot.currentJobId == null;
    }

    /** The job is queued (stored by a submit no robot took, or sent back to the queue): the backlog learns it. */
    synchronized void queued(Job job) {
        backlog(job.orgId()).queued(job);
    }

    /** How many connected robots here could run the job, idle and busy; see {@link WaitingReason#ofConnected}. */
    synchronized long[] connectedFor(Job job) {
        long free = 0;
        long busy = 0;
        for (Slot slot : slots.values()) {
            if (slot.orgId.equals(job.orgId()) && slot.canRun(job)) {
                if (slot.currentJobId == null) {
                    free++;
                } else {
                    busy++;
                }
            }
        }
        return new long[] {free, busy};
    }

    /** The robot's result for {@code jobId} came: its slot is idle again, last in line, if that job was its current. */
    synchronized void finished(String robotId, String sessionId, String jobId) {
        Slot slot = current(robotId, sessionId);
        if (slot != null && jobId.equals(slot.currentJobId)) {
            markIdle(slot);
        }
    }

    /** Remembers the accept of the session's current job; false when {@code jobId} is not that job. */
    synchronized boolean accepted(String robotId, String sessionId, String jobId, Instant at) {
        Slot slot = current(robotId, sessionId);
        if (slot == null || !jobId.equals(slot.currentJobId)) {
            return false;
        }
        slot.acceptedJobId = jobId;
        slot.acceptedAt = at;
        return true;
    }

    /** When the session accepted {@code jobId}, as remembered by {@link #accepted}; null otherwise. */
    synchronized Instant acceptedAt(String robotId, String sessionId, String jobId) {
        Slot slot = current(robotId, sessionId);
        return slot != null && jobId.equals(slot.acceptedJobId) ? slot.acceptedAt : null;
    }

    /**
     * The slot a cancel of {@code job} should go to now, or null: when the session is gone, or when the job's
     * {@code job.assign} is still on its way, or the slot does not hold the job yet because another node's handover of
     * it has not arrived (then the cancel is sent right after the assign, see {@link #handOver}).
     */
    synchronized Slot cancelTarget(Job job) {
        Slot slot = current(job.robotId(), job.sessionId());
        if (slot == null) {
            return null;
        }
        if (job.id().equals(slot.currentJobId) && !job.id().equals(slot.sentJobId)) {
            slot.cancelAfterSend = job.id(); // the assign is on its way: the cancel must follow it, not pass it
            return null;
        }
        if (!job.id().equals(slot.currentJobId)) {
            slot.cancelOnHandover = job.id(); // held in its row, not here yet: another node's handover is on its way
            return null;
        }
        return slot;
    }

    /** The assign of {@code jobId} went out; true when a cancel waits to follow it (and is now due). */
    synchronized boolean sent(Slot slot, String jobId) {
        if (jobId.equals(slot.currentJobId)) {
            slot.sentJobId = jobId;
        }
        boolean cancel = jobId.equals(slot.cancelAfterSend);
        if (cancel) {
            slot.cancelAfterSend = null;
        }
        return cancel;
    }

    /** The server gave up on the session's job: its robot gets no new job until {@code untilMillis}; null if gone. */
    synchronized Slot draining(String robotId, String sessionId, long untilMillis) {
        Slot slot = current(robotId, sessionId);
        if (slot != null) {
            slot.drainUntilMillis = untilMillis;
            draining.add(slot);
        }
        return slot;
    }

    /**
     * Frees the robots whose drain time passed; returns every organization with a robot here. Looks only at the slots
     * given a drain time: with 19,000 idle robots, walking every slot each second was a fifth of an idle server's CPU.
     */
    synchronized Set<String> endDrains(long nowMillis) {
        for (Iterator<Slot> it = draining.iterator(); it.hasNext(); ) {
            Slot slot = it.next();
            if (slot.drainUntilMillis == 0 || slots.get(slot.robotId) != slot) {
                it.remove(); // its drain ended otherwise (a claim, a handover, idle again), or it is gone
            } else if (slot.currentJobId != null && slot.drainUntilMillis < nowMillis) {
                markIdle(slot);
                it.remove();
            }
        }
        return new HashSet<>(slotsByOrg.keySet());
    }

    /** Whether a robot of the organization is idle here. */
    synchronized boolean hasIdle(String orgId) {
        TreeMap<Long, Slot> free = idle.get(orgId);
        return free != null && !free.isEmpty();
    }

    /** The organization's idle slots, longest idle first (a copy). */
    synchronized List<Slot> idleSlots(String orgId) {
        TreeMap<Long, Slot> free = idle.get(orgId);
        return free == null ? List.of() : new ArrayList<>(free.values());
    }

    /** The organization's backlog. */
    synchronized Backlog backlog(String orgId) {
        return backlogs.computeIfAbsent(orgId, org -> new Backlog(queueWindow));
    }

    /** Starts a round for the organization: whether it must read the queue, and the backlog's jobs otherwise. */
    synchronized RoundStart startRound(String orgId, boolean reread) {
        Backlog backlog = backlog(orgId);
        boolean read = reread || !backlog.complete();
        return new RoundStart(backlog, read, backlog.startRound());
    }

    /** What a round starts from. */
    record RoundStart(Backlog backlog, boolean read, List<Job> queue) {
    }

    /**
     * Plans a round over {@code queue} and the organization's idle robots ({@link DispatchRound#plan}) and reserves
     * each planned robot for its job, in one hold of the lock; returns the plans.
     */
    synchronized List<DispatchRound.Plan> planAndReserve(String orgId, List<Job> queue) {
        TreeMap<Long, Slot> free = idle.get(orgId);
        List<DispatchRound.Plan> plans = DispatchRound.plan(queue, free == null ? List.of() : free.values());
        plans.forEach(plan -> reserve(plan.slot(), plan.job().id()));
        return plans;
    }

    private void reserve(Slot slot, String jobId) {
        markBusy(slot);
        slot.currentJobId = jobId;
    }

    synchronized void release(Slot slot, String jobId) {
        releaseLocked(slot, jobId);
    }

    synchronized void release(Collection<DispatchRound.Plan> plans) {
        plans.forEach(plan -> releaseLocked(plan.slot(), plan.job().id()));
    }

    /** The slot's claim succeeded: its drain, if any, is over. */
    synchronized void claimed(Slot slot) {
        slot.drainUntilMillis = 0;
    }

    /** Frees a slot reserved for {@code jobId} that did not get it, keeping its place in the idle order. */
    private void releaseLocked(Slot slot, String jobId) {
        if (jobId.equals(slot.currentJobId) && slots.get(slot.robotId) == slot) {
            slot.currentJobId = null;
            idle.computeIfAbsent(slot.orgId, org -> new TreeMap<>()).put(slot.idleSince, slot);
        }
    }

    /** The slot becomes idle, last in line. */
    private void markIdle(Slot slot) {
        markBusy(slot);
        slot.currentJobId = null;
        slot.acceptedJobId = null;
        slot.acceptedAt = null;
        slot.drainUntilMillis = 0;
        slot.idleSince = ++idleCounter;
        idle.computeIfAbsent(slot.orgId, org -> new TreeMap<>()).put(slot.idleSince, slot);
    }

    /** The slot leaves the idle line (given a job, or gone). */
    private void markBusy(Slot slot) {
        TreeMap<Long, Slot> free = idle.get(slot.orgId);
        if (free != null && free.get(slot.idleSince) == slot) {
            free.remove(slot.idleSince);
        }
    }
}
