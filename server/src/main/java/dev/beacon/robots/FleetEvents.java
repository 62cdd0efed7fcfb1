package dev.beacon.robots;

import dev.beacon.jobs.AgentLink;
import java.util.Collection;
import java.util.Map;

/**
 * What happens to robots and jobs that other parts of the server act on: the one seam between whoever notices an
 * event (the registry's rules, the agent channel) and whoever reacts (the agent channel closes sockets, the
 * dispatcher gives or takes back jobs). Signals from other nodes plug in here too. Each method is called after the
 * change is committed, on the thread that made it (a request thread, a connection thread); implementations are
 * thread-safe and return promptly.
 */
public interface FleetEvents {
    /** These robots' tokens were revoked (one robot's, or a cascade from its enrollment key): their sockets close. */
    void robotsRevoked(Collection<String> robotIds);

    /** The robot was removed from the registry: its socket closes. */
    void robotRemoved(String robotId);

    /** The robot's pause was lifted; {@code robot} is its row as it is now. */
    void robotResumed(Robot robot);

    /**
     * An operator changed the robot's labels; {@code robot} is its row as it is now. Which jobs it may run changed,
     * exactly as when a pause is lifted: whoever holds it reads its facts again and looks for work, so by default this
     * is {@link #robotResumed} (which on several nodes signals the node holding the robot's socket).
     */
    default void robotLabelsChanged(Robot robot) {
        robotResumed(robot);
    }

    /** An agent session said hello and was welcomed: the robot may be given jobs through {@code link}. */
    void robotConnected(String robotId, String orgId, String sessionId, AgentLink link);

    /**
     * A greeted session ended ({@code reason} as in its {@code bye}, or how the socket closed): the jobs it held are
     * settled before this returns.
     */
    void robotGone(String robotId, String sessionId, String reason);

    /**
     * {@link #robotGone} for many greeted sessions that ended for the same reason at once (a shutdown);
     * {@code sessionByRobot}: each robot's ended session. One by one unless the implementation can do better.
     */
    default void robotsGone(Map<String, String> sessionByRobot, String reason) {
        sessionByRobot.forEach((robotId, sessionId) -> robotGone(robotId, sessionId, reason));
    }

    /** A job of the organization may have become runnable (queued, or a robot freed): a dispatch round should look. */
    void jobReady(String orgId);

    /** Cancelling a held job was requested (and recorded): the session holding it is told to stop it. */
    void jobCancelRequested(String orgId, String jobId);
}
