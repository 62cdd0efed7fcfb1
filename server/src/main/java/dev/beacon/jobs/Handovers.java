package dev.beacon.jobs;

import dev.beacon.protocol.Frame;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs given from one node to a robot whose session another node holds ({@link Dispatcher.Handover}). On the
 * submitting node: a job no robot there can take is stored by one statement that also claims an idle robot of another
 * node ({@link JobStore#insertForOtherNode}), and the holding node is signalled after commit, with the job's
 * {@code job.assign} ({@link #place}). On the holding node: that {@code job.assign} — or, when the signal came without
 * it (a job too large to carry, or a node of an earlier release), the job as read by id — is sent to the robot's slot
 * ({@link #arrived}), tried again shortly while the slot is not ready; a cancel requested meanwhile follows it
 * ({@link IdleRegistry#cancelTarget}). Jobs whose signal never came are found by the once-a-second {@link #catchUp}.
 * Exists only on PostgreSQL. Called on submitting threads, the listening thread, the dispatcher thread and the
 * scheduler. Thread-safe.
 */
final class Handovers {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How often a handover finding its slot not ready is tried, {@value #RETRY_MILLIS} ms apart. */
    private static final int TRIES = 5;
    private static final long RETRY_MILLIS = 10;
    /** Handovers that reached this node, by whether their job came with the signal or was read by id. */
    private static final String RECEIVED = "beacon.jobs.handovers.received";

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
     * Stores the new job, given to an idle robot of another node if one can take it, and tells that node, with the
     * {@code job.assign} for the job as stored. Returns the job as assigned, or null when it was stored queued.
     * Throws what the insert throws, with nothing stored.
     */
    Job place(Job job) {
        JobStore.Placement placement = store.insertForOtherNode(job, nodeId.get());
        if (!placement.assigned()) {
            return null;
        }
        metrics.counter("beacon.jobs.assigned").increment();
        metrics.counter("beacon.jobs.handed.over").increment();
        Job assigned = DispatchRound.assigned(job, placement.robotId(), placement.sessionId(), job.createdAt());
        signal.accept(new Dispatcher.Handover(placement.nodeId(), job.orgId(), job.id(), placement.robotId(), placement.sessionId(),
                JobFrames.assign(assigned)));
        return assigned;
    }

    /** See {@link Dispatcher#assignedHere}; counts in {@value #RECEIVED} how the job came. */
    void arrived(Dispatcher.Handover handover) {
        if (handover.assign() != null) {
            metrics.counter(RECEIVED, "source", "signal").increment();
            handOver(new Given(handover.jobId(), handover.robotId(), handover.sessionId(), handover.assign(), false), TRIES);
            return;
        }
        metrics.counter(RECEIVED, "source", "database").increment();
        store.byId(handover.orgId(), handover.jobId())
                .filter(job -> job.status() == JobStatus.ASSIGNED && handover.sessionId().equals(job.sessionId())
                        && handover.robotId().equals(job.robotId()))
                .ifPresent(job -> handOver(Given.of(job), TRIES));
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
                    handOver(Given.of(job), 1);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not look for jobs other nodes gave to robots here; will retry", e);
        }
    }

    private void handOver(Given given, int tries) {
        IdleRegistry.Handover handover = registry.handOver(given.robotId(), given.sessionId(), given.jobId(), given.cancelRequested());
        switch (handover.outcome()) {
            case TAKEN -> sender.assign(handover.slot(), given.assign());
            case HELD -> log.debug("job {} handed over twice to robot {}", given.jobId(), given.robotId());
            case BUSY, ABSENT -> {
                if (tries > 1) {
                    later.run(() -> handOver(given, tries - 1), RETRY_MILLIS);
                } else if (handover.outcome() == IdleRegistry.Outcome.ABSENT) {
                    settler.settle(given.jobId(), given.sessionId(), new Transition.Event.Interrupted(
                                    "robot " + given.robotId() + "'s session ended before the job reached it"))
                            .ifPresent(settled -> requeued.accept(settled.orgId()));
                } else {
                    log.warn("job {}: robot {} was still busy when another node gave it the job; the sweep retries", given.jobId(), given.robotId());
                }
            }
        }
    }

    /**
     * A job given to session {@code sessionId} of robot {@code robotId} here, as its {@code job.assign}: carried by the
     * handover, or made from the job's row, which also says whether a cancel was requested.
     */
    private record Given(String jobId, String robotId, String sessionId, Frame.JobAssign assign, boolean cancelRequested) {
        static Given of(Job job) {
            return new Given(job.id(), job.robotId(), job.sessionId(), JobFrames.assign(job), job.cancelRequestedAt() != null);
        }
    }
}
