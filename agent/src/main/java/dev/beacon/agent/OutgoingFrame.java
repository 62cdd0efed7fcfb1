package dev.beacon.agent;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A JSON text frame the agent sends (see docs/agent-protocol.md); {@link #encode} adds the {@code type} field from each record's
 * {@link JsonTypeName}. Records, so immutable and thread-safe.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
sealed interface OutgoingFrame {
    /** First frame on every connection. */
    @JsonTypeName("hello")
    record Hello(String hostname, String os, String arch, String agentVersion, List<String> capabilities,
                 Map<String, String> labels) implements OutgoingFrame {
        static Hello of(HostFacts host, AgentConfig config) {
            return new Hello(host.hostname(), host.os(), host.arch(), host.agentVersion(),
                    JobRunner.capabilities(config.handlers()), config.labels());
        }
    }

    /**
     * The hello of a connection that only rotates the token ({@code beacon agent rotate-token}): the server registers
     * no presence for it and does not replace the running agent's session.
     */
    @JsonTypeName("hello")
    record RotateOnlyHello(String purpose) implements OutgoingFrame {
        static RotateOnlyHello of() {
            return new RotateOnlyHello("rotate-token");
        }
    }

    /** Every {@code heartbeat_interval_s} after {@code welcome}; {@code sentAt} is RFC 3339 UTC. */
    @JsonTypeName("heartbeat")
    record Heartbeat(String sentAt) implements OutgoingFrame {
    }

    /** Answer to {@code job.assign} when the job was started. */
    @JsonTypeName("job.accepted")
    record JobAccepted(String jobId) implements OutgoingFrame {
    }

    /** How a job ended; also the answer to a {@code job.assign} the agent cannot start (status failed). */
    @JsonTypeName("job.result")
    record JobResultFrame(String jobId, JobStatus status, JsonNode output, Integer exitCode, String error)
            implements OutgoingFrame {
        static JobResultFrame of(JobResult result) {
            return new JobResultFrame(result.jobId(), result.status(), result.output(), result.exitCode(), result.error());
        }
    }

    /** Asks the server for a new robot token; it answers {@code token.rotated}. */
    @JsonTypeName("token.rotate")
    record TokenRotate() implements OutgoingFrame {
    }

    /** Sent only after the new token is safely on disk, so the server may then forget the old one. */
    @JsonTypeName("token.rotated.ack")
    record TokenRotatedAck() implements OutgoingFrame {
    }

    /** The frame as JSON text. */
    static String encode(OutgoingFrame frame) {
        try {
            return AgentJson.JSON.writerFor(OutgoingFrame.class).writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("frames are plain records and always serialize", e);
        }
    }
}
