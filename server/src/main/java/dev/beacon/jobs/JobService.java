package dev.beacon.jobs;

import dev.beacon.audit.Actor;
import dev.beacon.errors.Invalid;
import dev.beacon.errors.NotFound;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** The rules of the job API: submitting (idempotently), reading with {@code waiting_reason}, cancelling. Thread-safe. */
public final class JobService {
    /** How often the scheduler should call {@link #sampleQueue}. */
    public static final java.time.Duration QUEUE_SAMPLE_EVERY = QueueTimeline.SAMPLE_EVERY;

    private final JobStore store;
    private final RobotStore robots;
    private final Dispatcher dispatcher;
    private final Ids ids;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final FleetEvents events;
    private final QueueWaits waits;
    private final QueueTimeline timeline;

    /** {@code events} hears of every job queued that no robot took at once, and of every cancel of a held job. */
    public JobService(JobStore store, RobotStore robots, Dispatcher dispatcher, Ids ids, Clock clock, MeterRegistry metrics,
                      FleetEvents events) {
        this.events = events;
        this.store = store;
        this.robots = robots;
        this.dispatcher = dispatcher;
        this.ids = ids;
        this.clock = clock;
        this.metrics = metrics;
        this.waits = new QueueWaits(clock, store::waits);
        this.timeline = new QueueTimeline(clock, store.historyStore());
    }

    /** A submitted job and whether this request created it (false: an earlier one with the same Idempotency-Key did). */
    public record Submitted(Job job, boolean created) {
    }

    /**
     * Queues a job (or finds the one an earlier request with the same idempotency key queued) and dispatches: the
     * job comes back {@code assigned} when an idle robot took it at once, {@code queued} otherwise.
     */
    public Submitted submit(String orgId, Actor actor, JobRequest request, String idempotencyKey) {
        if (idempotencyKey != null) {
            Optional<Job> earlier = store.byIdempotencyKey(orgId, idempotencyKey);
            if (earlier.isPresent()) {
                return new Submitted(sameRequest(earlier.get(), request, idempotencyKey), false);
            }
        }
        Target target = request.target();
        requireExists("robots", orgId, target.robotId(), "target.robot_id", "robot");
        requireExists("fleets", orgId, target.fleetId(), "target.fleet_id", "fleet");
        requireExists("sites", orgId, target.siteId(), "target.site_id", "site");
        Instant now = Instant.ofEpochMilli(clock.millis()); // what the database keeps
        Job job = new Job(ids.next("job"), orgId, request.kind(), request.payload(), target, request.priority(), request.timeoutS(),
                request.maxAttempts(), 0, JobStatus.QUEUED, null, null, idempotencyKey, null, null, null,
                actor.type() + (actor.id() == null ? "" : ":" + actor.id()), now, now, null, null, null, null, now);
        Job stored;
        try {
            stored = dispatcher.submit(job);
        } catch (RuntimeException e) {
            if (idempotencyKey != null && Database.isUniqueViolation(e)) {
                // Two requests with one key raced; the unique index let exactly one insert win.
                Job winner = store.byIdempotencyKey(orgId, idempotencyKey).orElseThrow(() -> e);
                return new Submitted(sameRequest(winner, request, idempotencyKey), false);
            }
            throw e;
        }
        metrics.counter("beacon.jobs.submitted").increment();
        if (stored.status() == JobStatus.QUEUED) {
            events.jobReady(orgId); // an idle robot of the organization may be connected to another node
        }
        return new Submitted(stored, true);
    }

    /**
     * The job an earlier request with the same idempotency key queued, when this request asks for the same job;
     * otherwise 422 {@code idempotency_key_reused} naming what differs. The job row holds the request as it was
     * normalised at submission (defaults filled in, payload parsed), so the comparison needs no stored hash and covers
     * rows written before it existed: a retry that spells the same request differently (key order, an explicit
     * default) is the same request.
     */
    static Job sameRequest(Job earlier, JobRequest request, String idempotencyKey) {
        List<String> differing = new ArrayList<>();
        if (!earlier.kind().equals(request.kind())) {
            differing.add("kind");
        }
        if (!Objects.equals(earlier.payload(), request.payload())) {
            differing.add("payload");
        }
        if (!sameTarget(earlier.target(), request.target())) {
            differing.add("target");
        }
        if (earlier.priority() != request.priority()) {
            differing.add("priority");
        }
        if (earlier.timeoutS() != request.timeoutS()) {
            differing.add("timeout_s");
        }
        if (earlier.maxAttempts() != request.maxAttempts()) {
            differing.add("max_attempts");
        }
        if (!differing.isEmpty()) {
            throw Invalid.contradicting("idempotency_key_reused", "Idempotency-Key", "The Idempotency-Key '" + idempotencyKey
                    + "' was already used for job " + earlier.id() + " with a different request (" + String.join(", ", differing)
                    + " differ); send the same request to get that job back, or use a new key for a new job.");
        }
        return earlier;
    }

    /** Targets that select the same robots: capabilities are a set, their order does not matter. */
    private static boolean sameTarget(Target a, Target b) {
        return Objects.equals(a.robotId(), b.robotId()) && Objects.equals(a.fleetId(), b.fleetId())
                && Objects.equals(a.siteId(), b.siteId()) && Set.copyOf(a.capabilities()).equals(Set.copyOf(b.capabilities()))
                && a.labels().equals(b.labels());
    }

    private void requireExists(String table, String orgId, String id, String field, String what) {
        if (id != null && !store.exists(table, orgId, id)) {
            throw Invalid.reference(field, "No " + what + " with id '" + id + "' in this organization.");
        }
    }

    /** A job of the organization, or 404. */
    public Job get(String orgId, String jobId) {
        return store.byId(orgId, jobId).orElseThrow(() -> new NotFound("job"));
    }

    List<Job> list(String orgId, JobStatus status, String robotId, String kind, String afterId, int limit) {
        return store.list(orgId, status, robotId, kind, afterId, limit);
    }

    /**
     * Explains a job just submitted, if it is still queued: from the robots connected here when one of them could
     * run it (no database read), else from all the organization's robots like {@link #waitingReasons}.
     */
    String waitingReasonAfterSubmit(String orgId, Job job) {
        if (job.status() != JobStatus.QUEUED) {
            return null;
        }
        String fromSlots = dispatcher.waitingReasonFromSlots(job);
        return fromSlots != null ? fromSlots : waitingReasons(orgId, List.of(job)).get(job.id());
    }

    /** Explains each queued job among {@code jobs}: job id → reason. Reads the organization's robots once. */
    public Map<String, String> waitingReasons(String orgId, List<Job> jobs) {
        if (jobs.stream().noneMatch(job -> job.status() == JobStatus.QUEUED)) {
            return Map.of();
        }
        List<Robot> all = robots.allLive(orgId);
        Map<String, String> names = store.placeNames(orgId);
        Map<String, String> reasons = new java.util.HashMap<>();
        for (Job job : jobs) {
            if (job.status() == JobStatus.QUEUED) {
                reasons.put(job.id(), WaitingReason.of(job, all, names));
            }
        }
        return reasons;
    }

    /**
     * Cancels a job: a queued one at once; an assigned or running one by telling its agent to stop, after which it
     * ends {@code cancelled} when the agent reports or its session ends. A finished job is left as it is.
     */
    public Job cancel(String orgId, String jobId) {
        Job job = get(orgId, jobId);
        Instant now = clock.instant();
        if (job.status() == JobStatus.QUEUED && store.cancelQueued(orgId, jobId, now)) {
            metrics.counter("beacon.jobs.settled", "status", JobStatus.CANCELLED.wireName()).increment();
            return get(orgId, jobId);
        }
        Job current = get(orgId, jobId);
        if (current.isHeld() && store.requestCancel(orgId, jobId, now)) {
            events.jobCancelRequested(orgId, jobId);
        }
        return get(orgId, jobId);
    }

    /**
     * Queue figures of one organization (the API), or of all (null; the metrics): the counts as they are now, the
     * waits at most {@link QueueWaits#MAX_AGE} old.
     */
    public QueueFigures figures(String orgId) {
        QueueWaits.Sums sums = orgId == null ? waits.ofAll(store.organizationIds()) : waits.of(orgId);
        return store.figures(orgId, sums);
    }

    /**
     * The organization's queue over the last hour and day, or one fleet's ({@code fleetId} not null), for the
     * dashboard's charts: waits at most {@link QueueTimeline#MAX_AGE} old, jobs waiting as sampled by
     * {@link #sampleQueue}.
     */
    public QueueHistory history(String orgId, String fleetId) {
        return timeline.of(orgId, fleetId);
    }

    /** Samples how many jobs wait in each organization and fleet now; the scheduler calls it. Never throws. */
    public void sampleQueue() {
        timeline.sampleAll();
    }

    /** The robot's last {@code limit} jobs, newest first, for its detail view. */
    public List<Job> history(String robotId, int limit) {
        return store.history(robotId, limit);
    }
}
