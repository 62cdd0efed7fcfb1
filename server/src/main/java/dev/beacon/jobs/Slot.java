package dev.beacon.jobs;

import dev.beacon.robots.Robot;
import java.time.Instant;

/**
 * One greeted agent session on this node, as the dispatcher sees it: which job it is reserved for, was sent, runs.
 * Mutable; its mutable fields are guarded by the {@link IdleRegistry}'s lock (any thread holding it may use them).
 */
final class Slot {
    final String robotId;
    final String orgId;
    final String sessionId;
    final AgentLink link;
    /** The job reserved for, given to or run by this robot; null when idle. */
    String currentJobId;
    /** The last job whose {@code job.assign} went out; a cancel for a job not sent yet waits for it. */
    String sentJobId;
    String cancelAfterSend;
    /** A job another node gave this session whose cancel came before its handover: cancelled once sent. */
    String cancelOnHandover;
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
