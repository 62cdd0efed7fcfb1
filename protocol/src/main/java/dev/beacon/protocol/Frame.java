package dev.beacon.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One JSON text frame of the agent channel (docs/agent-protocol.md describes each). {@link FrameCodec} turns text into
 * these records and back; field names on the wire are the snake_case forms of the component names. Nullable
 * components are fields a frame may leave out. Records, so immutable; a {@link JsonNode} payload or output is shared,
 * not copied, and must not be changed once in a frame. Any thread may use them.
 */
public sealed interface Frame {
    /** The {@code type} string this frame carries on the wire. */
    String type();

    /**
     * First frame on every connection (agent → server). {@code purpose} is null, or {@value #ROTATE_TOKEN} for a
     * connection that only rotates the token.
     */
    record Hello(String hostname, String os, String arch, String agentVersion, List<String> capabilities,
                 Map<String, String> labels, String purpose) implements Frame {
        public static final String TYPE = "hello";
        public static final String ROTATE_TOKEN = "rotate-token";

        /** The hello of a connection that only rotates the token. */
        public static Hello rotateOnly() {
            return new Hello(null, null, null, null, null, null, ROTATE_TOKEN);
        }

        public boolean isRotateOnly() {
            return ROTATE_TOKEN.equals(purpose);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The answer to hello (server → agent); a rotate-only welcome has a purpose and no heartbeat interval. */
    record Welcome(String robotId, String name, String sessionId, Integer heartbeatIntervalS, String purpose)
            implements Frame {
        public static final String TYPE = "welcome";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Agent → server every heartbeat interval; {@code sentAt} is RFC 3339 UTC. */
    record Heartbeat(String sentAt) implements Frame {
        public static final String TYPE = "heartbeat";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Server → agent answer to a heartbeat, echoing its {@code sentAt} when it was a short string. */
    record HeartbeatAck(String sentAt) implements Frame {
        public static final String TYPE = "heartbeat.ack";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Server → agent: run {@code kind} with {@code payload}; {@code attempt} is 1 for a job's first attempt. */
    record JobAssign(String jobId, String kind, JsonNode payload, Integer timeoutS, Integer attempt) implements Frame {
        public static final String TYPE = "job.assign";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Agent → server: the job was started. */
    record JobAccepted(String jobId) implements Frame {
        public static final String TYPE = "job.accepted";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Agent → server: how far a job is, in percent (may be null). */
    record JobProgress(String jobId, Integer percent) implements Frame {
        public static final String TYPE = "job.progress";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * Agent → server: how a job ended. {@code status} is one of {@link #STATUSES}; output is any JSON or null.
     * All five fields are always written, nulls included.
     */
    record JobResult(String jobId, String status, JsonNode output, Integer exitCode, String error) implements Frame {
        public static final String TYPE = "job.result";
        public static final List<String> STATUSES = List.of("succeeded", "failed", "timed_out", "cancelled");

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * Agent → server: a piece of a running job's stdout or stderr, as it comes. {@code seq} counts the attempt's
     * chunks from 1, in order; {@code data} is text of at most {@link #MAX_DATA_BYTES} bytes in UTF-8. {@code truncated}
     * true says the agent sends no more output for this attempt (its rate bound was reached); it is written only when true.
     */
    record JobOutput(String jobId, int attempt, int seq, String stream, String data, boolean truncated) implements Frame {
        public static final String TYPE = "job.output";
        /** The most text one frame may carry, in UTF-8 bytes: 16 KiB. */
        public static final int MAX_DATA_BYTES = 16 * 1024;
        public static final List<String> STREAMS = List.of("stdout", "stderr");

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Server → agent: stop the job. */
    record JobCancel(String jobId) implements Frame {
        public static final String TYPE = "job.cancel";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Agent → server: asks for a new robot token. */
    record TokenRotate() implements Frame {
        public static final String TYPE = "token.rotate";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Server → agent: the new robot token. */
    record TokenRotated(String token) implements Frame {
        public static final String TYPE = "token.rotated";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Agent → server: the new token is on disk; the old one may go. */
    record TokenRotatedAck() implements Frame {
        public static final String TYPE = "token.rotated.ack";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Server → agent: the server is closing the connection, and why. */
    record Bye(String reason) implements Frame {
        public static final String TYPE = "bye";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Server → agent: a frame broke the protocol; {@code code} is stable, {@code detail} is for people. */
    record Error(String code, String detail) implements Frame {
        public static final String TYPE = "error";

        @Override
        public String type() {
            return TYPE;
        }
    }
}
