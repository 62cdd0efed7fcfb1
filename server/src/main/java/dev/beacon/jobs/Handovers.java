package dev.beacon.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs given from one node to a robot whose session another node holds ({@link Dispatcher.Handover}). On the
 * submitting node: a job no robot there can take is stored by one statement that also claims an idle robot of another
 * node ({@link JobStore#insertForOtherNode}), and the holding node is signalled after commit ({@link #place}). On the
 * holding node: the job is read by id and sent to the robot's slot ({@link #arrived}), tried again shortly while the
 * slot is not ready; jobs whose signal never came are found by the once-a-second {@link #catchUp}. Exists only on
 * PostgreSQL. Called on submitting threads, the listening thread, the dispatcher thread and the scheduler. Thread-safe.
 */
final class Handovers {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How often a handover finding its slot not ready is tried, {@value #RETRY_MILLIS} ms apart. */
    private static final int TRIES = 5;
    private static final long RETRY_MILLIS = 10;

    /** Runs a task after a delay (on the dispatcher thread). */
    interface Later {
        void run(Runnable task, long delayMillis);
    }

    private final JobStore store;
    private final IdleRegistry registry;
    private final JobSender sender;
    private final JobSettler settler;
    private final MeterRegistry metrics;
    private final Supplier<String> nodeId;
    private final Consumer<Dispatcher.Handover> signal;
    private final Later later;
    private final Consumer<String> requeued;

    /**
     * @param nodeId   this node's id as robot rows name it now (a node that lost its lease rejoins under a new one)
     * @param signal   tells the holding node, after commit
     * @param requeued told the organization of a job that went back to the queue
     */
    Handovers(JobStore store, IdleRegistry registry, JobSender sender, JobSettler settler, MeterRegistry metrics,
              Supplier<String> nodeId, Consumer<Dispatcher.Handover> signal, Later later, Consumer<String> requeued) {
        this.store = store;
        this.registry = registry;
        this.sender = sender;
        this.settler = settler;
        this.metrics = metrics;
        this.nodeId = nodeId;
        this.signal = signal;
        this.later = later;
        this.requeued = requeued;
    }

    /**
     * Stores the new job, given to an idle robot of another node if one can take it, and tells that node. Returns
     * the job as assigned, or null when it was stored queued. Throws what the insert throws, with nothing stored.
     */
    Job place(Job job) {
        JobStore.Placement placement = store.insertForOtherNode(job, nodeId.get());
        if (!placement.assigned()) {
            return null;
        }
        metrics.counter("beacon.jobs.assigned").increment();
        metrics.counter("beacon.jobs.handed.over").increment();
        signal.accept(new Dispatcher.Handover(placement.nodeId(), job.orgId(), job.id(), placement.robotId(), placement.sessionId()));
        return DispatchRound.assigned(job, placement.robotId(), placement.sessionId(), job.createdAt());
    }

    /** See {@link Dispatcher#assignedHere}. */
    void arrived(String orgId, String jobId, String robotId, String sessionId) {
        store.byId(orgId, jobId)
                .filter(job -> job.status() == JobStatus.ASSIGNED && sessionId.equals(job.sessionId()) && robotId.equals(job.robotId()))
                .ifPresent(job -> handOver(job, TRIES));
    }

    /**
     * Sends the jobs other nodes gave to robots here whose signal never arrived (lost with the listening
     * connection): assigned to a session here that this node has not given them to.
     */
    void catchUp() {
        try {
            for (Job job : store.heldOnNode(nodeId.get())) {
                if (job.status() == JobStatus.ASSIGNED && registry.isIdle(job.robotId(), job.sessionId())) {
                    log.info("job {}: sending robot {} a job another node gave it without a signal arriving", job.id(), job.robotId());
                    handOver(job, 1);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not look for jobs other nodes gave to robots here; will retry", e);
        }
    }

    private void handOver(Job job, int tries) {
        IdleRegistry.Handover handover = registry.handOver(job.robotId(), job.sessionId(), job.id());
        switch (handover.outcome()) {
            case TAKEN -> {
                sender.assign(handover.slot(), job);
                if (job.cancelRequestedAt() != null) {
                    sender.cancel(handover.slot(), job.id());
                }
            }
            case HELD -> log.debug("job {} handed over twice to robot {}", job.id(), job.robotId());
            case BUSY, ABSENT -> {
                if (tries > 1) {
                    later.run(() -> handOver(job, tries - 1), RETRY_MILLIS);
                } else if (handover.outcome() == IdleRegistry.Outcome.ABSENT) {
                    settler.settle(job.id(), job.sessionId(), new Transition.Event.Interrupted(
                                    "robot " + job.robotId() + "'s session ended before the job reached it"))
                            .ifPresent(settled -> requeued.accept(settled.orgId()));
                } else {
                    log.warn("job {}: robot {} was still busy when another node gave it the job; the sweep retries", job.id(), job.robotId());
                }
            }
        }
    }
}
