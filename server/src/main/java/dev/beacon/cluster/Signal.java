package dev.beacon.cluster;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.beacon.protocol.Frame;
import java.util.List;

/**
 * One hint from the node that decided something to the nodes that hold the sockets, caches or idle robots it
 * concerns. A hint carries ids only: the receiver reads whatever else it needs from the database, which stays the
 * truth, so a lost hint costs latency, never correctness. The one exception is the copy of a new job a
 * {@link JobHandover} may come with, which travels beside the signals ({@link SignalSender}). Serialized as JSON with
 * its kind in {@code k}; the releases before that copy existed refuse fields they do not know, and from this one on a
 * node ignores them, so that a later release may add fields to a signal during a rolling upgrade. Immutable.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "k")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Signal.JobReady.class, name = "job_ready"),
        @JsonSubTypes.Type(value = Signal.JobHandover.class, name = "job_handover"),
        @JsonSubTypes.Type(value = Signal.JobCancel.class, name = "job_cancel"),
        @JsonSubTypes.Type(value = Signal.RobotsRevoked.class, name = "robots_revoked"),
        @JsonSubTypes.Type(value = Signal.RobotRemoved.class, name = "robot_removed"),
        @JsonSubTypes.Type(value = Signal.RobotResumed.class, name = "robot_resumed"),
        @JsonSubTypes.Type(value = Signal.RobotConnected.class, name = "robot_connected"),
        @JsonSubTypes.Type(value = Signal.ApiKeyRevoked.class, name = "api_key_revoked"),
        @JsonSubTypes.Type(value = Signal.RotateToken.class, name = "rotate_token"),
        @JsonSubTypes.Type(value = Signal.RotationAnswered.class, name = "rotation_answered")})
public sealed interface Signal {
    /** The most robot ids one {@link RobotsRevoked} carries, so that a payload stays far below PostgreSQL's 8000 bytes. */
    int MAX_ROBOT_IDS = 100;

    /** A job of the organization may be runnable: a node with an idle robot of it runs a dispatch round. */
    record JobReady(String orgId) implements Signal {
    }

    /**
     * Node {@code toNode} holds session {@code sessionId} of the robot that the sending node gave the job to, in the
     * statement that stored it: that node sends the robot its {@code job.assign}. That is {@code assign} when the
     * signal came with it (the job as the statement stored it), or else read from the job's row; {@code assign} is
     * not part of the signal's JSON, so that a node of the previous release still reads the signal.
     */
    record JobHandover(String toNode, String orgId, String jobId, String robotId, String sessionId,
                       @JsonIgnore Frame.JobAssign assign) implements Signal {
        /** The same handover with {@code assign} (null: ids only). */
        JobHandover carrying(Frame.JobAssign assign) {
            return new JobHandover(toNode, orgId, jobId, robotId, sessionId, assign);
        }
    }

    /** Cancelling the job was requested: the node holding its robot's session sends {@code job.cancel}. */
    record JobCancel(String orgId, String jobId) implements Signal {
    }

    /** These robots' tokens were revoked: the nodes holding their sockets close them with {@code bye: revoked}. */
    record RobotsRevoked(List<String> robotIds) implements Signal {
        public RobotsRevoked {
            robotIds = List.copyOf(robotIds);
            if (robotIds.size() > MAX_ROBOT_IDS) {
                throw new IllegalArgumentException("at most " + MAX_ROBOT_IDS + " robot ids per signal, not " + robotIds.size());
            }
        }
    }

    /** The robot was removed: the node holding its socket closes it with {@code bye: removed}. */
    record RobotRemoved(String robotId) implements Signal {
    }

    /** The robot's pause was lifted: the node holding its socket reads it again and may give it a job. */
    record RobotResumed(String orgId, String robotId) implements Signal {
    }

    /** The robot's agent said hello in session {@code sessionId}: another node's older socket of it says {@code bye: replaced}. */
    record RobotConnected(String robotId, String sessionId) implements Signal {
    }

    /** The API key was revoked: every node forgets it from its cache of recently authenticated keys. */
    record ApiKeyRevoked(String keyId) implements Signal {
    }

    /** An operator on node {@code fromNode} asked to rotate the robot's token: the node holding its socket does, and answers. */
    record RotateToken(String robotId, String requestId, String fromNode) implements Signal {
    }

    /** The answer to a {@link RotateToken} for node {@code toNode}: {@code outcome} is a {@code RotationRequest} name. */
    record RotationAnswered(String requestId, String toNode, String outcome) implements Signal {
    }
}
