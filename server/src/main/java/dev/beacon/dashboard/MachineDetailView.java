package dev.beacon.dashboard;

import dev.beacon.jobs.Job;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.Robot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One machine's page: the machine and its dashboard {@link MachineState}, its names ({@code enrollmentKeyName}, the
 * kind of {@code currentJob}), its recent jobs and connections, and what the page derives from them: how long the
 * current connection is up, how long the machine has been idle, and a timeline of connects and disconnects.
 * {@code showNodes} when more than one server node is alive; {@code jobsKept}: how long finished jobs are kept
 * ({@code --retain-jobs}), zero for ever. Immutable.
 */
public record MachineDetailView(Robot robot, MachineState state, Views.Places places, String enrollmentKeyName, Job currentJob,
                                List<Job> jobs, List<PresenceStore.Connection> connections, Instant now, boolean showNodes,
                                Duration jobsKept) {
    public MachineDetailView {
        jobs = List.copyOf(jobs);
        connections = List.copyOf(connections);
    }

    /** One connect or disconnect; {@code connected} tells which. */
    public record Event(Instant at, boolean connected, String text) {
    }

    /** The connection open now, or null when the machine is offline. */
    public PresenceStore.Connection openConnection() {
        return robot.status().isConnected()
                ? connections.stream().filter(c -> c.disconnectedAt() == null).findFirst().orElse(null) : null;
    }

    /** How long the current connection is up ("2 h 5 min"), or null when offline. */
    public String uptime() {
        PresenceStore.Connection open = openConnection();
        return open == null ? null : span(Duration.between(open.connectedAt(), now));
    }

    /** When the last job this machine ran ended, or null when it has not finished one (among the jobs kept). */
    public Instant lastJobEndedAt() {
        return jobs.stream().map(Job::finishedAt).filter(Objects::nonNull).max(Comparator.naturalOrder()).orElse(null);
    }

    /**
     * How long a connected machine without a job has been idle: since its last job ended, or since it connected when
     * that was later (or it never ran one); null when it is busy or offline.
     */
    public String idleFor() {
        PresenceStore.Connection open = openConnection();
        if (open == null || robot.currentJobId() != null) {
            return null;
        }
        Instant ended = lastJobEndedAt();
        Instant since = ended == null || ended.isBefore(open.connectedAt()) ? open.connectedAt() : ended;
        return span(Duration.between(since, now));
    }

    /** The connects and disconnects of the recent connections, newest first. */
    public List<Event> timeline() {
        List<Event> events = new ArrayList<>();
        for (PresenceStore.Connection c : connections) {
            if (c.disconnectedAt() != null) {
                events.add(new Event(c.disconnectedAt(), false, "Disconnected: " + reason(c.reason())));
            }
            events.add(new Event(c.connectedAt(), true, "Connected" + (c.ip() == null ? "" : " from " + c.ip())
                    + (c.agentVersion() == null ? "" : ", agent " + c.agentVersion())));
        }
        events.sort(Comparator.comparing(Event::at).reversed());
        return events;
    }

    /** A disconnect reason in words: {@code heartbeat_timeout} → "heartbeat timeout". */
    static String reason(String reason) {
        return reason == null || reason.isBlank() ? "no reason recorded" : reason.replace('_', ' ');
    }

    /** A duration in the two largest units that matter: "45 s", "12 min", "3 h 5 min", "2 days 4 h". */
    public static String span(Duration duration) {
        long s = Math.max(0, duration.toSeconds());
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min";
        }
        if (s < 86_400) {
            return s / 3600 + " h " + s % 3600 / 60 + " min";
        }
        long days = s / 86_400;
        return days + (days == 1 ? " day " : " days ") + s % 86_400 / 3600 + " h";
    }
}
