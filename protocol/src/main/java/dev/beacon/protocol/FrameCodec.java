package dev.beacon.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads text frames into {@link Frame} records and writes records as text, in the wire format of
 * docs/agent-protocol.md. Reading is two steps, {@link #envelope} (is it a JSON object with a string {@code type}) and
 * {@link #decode} (is it a known, well-formed frame), so a server can judge the type before the fields. Frames from
 * agents (hello, job.*) are checked strictly, with the server's limits; frames from the server are read leniently (a
 * missing or mistyped field reads as null). Thread-safe once built: the mapper is only read.
 */
public final class FrameCodec {
    /** What a well-formed hello may carry; the detail of an {@code invalid_hello} error. */
    public static final String HELLO_RULES = "hello takes optional strings hostname, os, arch, agent_version (at most 255 characters), "
            + "capabilities as a list of at most 100 short strings, labels as an object of at most 50 string values, "
            + "and purpose, which is absent or 'rotate-token'.";

    /** The longest {@code job_id} a job frame may carry (the server's ids are far shorter). */
    public static final int MAX_JOB_ID = 100;

    /** A JSON object with a non-empty string {@code type}, not yet read as a frame. */
    public record Envelope(String type, JsonNode body) {
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The heartbeat acks {@link #writeHeartbeatAck} builds as text: the same as {@link #write} makes of them. */
    private static final String ACK_WITHOUT_SENT_AT = "{\"type\":\"" + Frame.HeartbeatAck.TYPE + "\"}";
    private static final String ACK_PREFIX = "{\"type\":\"" + Frame.HeartbeatAck.TYPE + "\",\"sent_at\":\"";
    private final ObjectMapper json;

    /** @param json the mapper that parses incoming text; its stream limits (nesting depth, lengths) apply */
    public FrameCodec(ObjectMapper json) {
        this.json = json;
    }

    /** Reads text as an envelope; a {@code malformed_frame} exception when it is not JSON or has no string type. */
    public Envelope envelope(String text) throws FrameException {
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JacksonException e) {
            throw new FrameException("malformed_frame", "Frames are JSON objects with a 'type'; this one is not valid JSON.");
        }
        String type = node != null && node.isObject() && node.path("type").isTextual() ? node.get("type").asText() : "";
        if (type.isEmpty()) {
            throw new FrameException("malformed_frame", "Frames are JSON objects with a string 'type'.");
        }
        return new Envelope(type, node);
    }

    /**
     * The heartbeat a text plainly is, read without building a tree (the one frame every agent sends all the time),
     * or null: for anything else, and for a heartbeat with anything unusual (a second {@code type} or
     * {@code sent_at}, trailing text, invalid JSON), which the caller reads with {@link #envelope} and
     * {@link #decode} as any frame. When it answers, it answers exactly what those two would.
     */
    public Frame.Heartbeat plainHeartbeat(String text) {
        if (!text.contains("\"" + Frame.Heartbeat.TYPE + "\"")) {
            return null; // cheaper than a parser for the frames that are not heartbeats
        }
        try (JsonParser parser = json.getFactory().createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            boolean typed = false;
            boolean sentAtSeen = false;
            String sentAt = null;
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("type")) {
                    if (typed || value != JsonToken.VALUE_STRING || !parser.getText().equals(Frame.Heartbeat.TYPE)) {
                        return null;
                    }
                    typed = true;
                } else if (field.equals("sent_at")) {
                    if (sentAtSeen) {
                        return null;
                    }
                    sentAtSeen = true;
                    sentAt = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren(); // a nested value is read through (and held to the depth limit), not kept
            }
            return token == JsonToken.END_OBJECT && typed && parser.nextToken() == null ? new Frame.Heartbeat(sentAt) : null;
        } catch (IOException e) {
            return null; // not JSON after all: the full read says so to the agent
        }
    }

    /**
     * {@code write(new Frame.HeartbeatAck(sentAt))}, the same text, built without a tree when {@code sentAt} is
     * printable ASCII that JSON does not escape (every timestamp an agent sends).
     */
    public String writeHeartbeatAck(String sentAt) {
        if (sentAt == null) {
            return ACK_WITHOUT_SENT_AT;
        }
        for (int i = 0; i < sentAt.length(); i++) {
            char c = sentAt.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return write(new Frame.HeartbeatAck(sentAt));
            }
        }
        return ACK_PREFIX + sentAt + "\"}";
    }

    /** {@link #envelope} then {@link #decode}. */
    public Frame read(String text) throws FrameException {
        return decode(envelope(text));
    }

    /**
     * The frame an envelope holds. Throws {@code unknown_frame} for a type this protocol does not have,
     * {@code invalid_hello} and {@code invalid_job_frame} for frames that break their rules (a job frame needs a
     * non-blank {@code job_id} of at most {@value #MAX_JOB_ID} characters).
     */
    public Frame decode(Envelope envelope) throws FrameException {
        JsonNode f = envelope.body();
        return switch (envelope.type()) {
            case Frame.Hello.TYPE -> hello(f);
            case Frame.Welcome.TYPE -> new Frame.Welcome(text(f, "robot_id"), text(f, "name"), text(f, "session_id"),
                    integer(f, "heartbeat_interval_s"), text(f, "purpose"));
            case Frame.Heartbeat.TYPE -> new Frame.Heartbeat(text(f, "sent_at"));
            case Frame.HeartbeatAck.TYPE -> new Frame.HeartbeatAck(text(f, "sent_at"));
            case Frame.JobAssign.TYPE -> {
                String kind = text(f, "kind");
                if (kind == null || kind.isBlank()) {
                    throw invalidJob("'job.assign' needs a string kind.");
                }
                yield new Frame.JobAssign(jobId(f, Frame.JobAssign.TYPE), kind, value(f, "payload"),
                        integer(f, "timeout_s"), integer(f, "attempt"));
            }
            case Frame.JobAccepted.TYPE -> new Frame.JobAccepted(jobId(f, Frame.JobAccepted.TYPE));
            case Frame.JobProgress.TYPE -> new Frame.JobProgress(jobId(f, Frame.JobProgress.TYPE), integer(f, "percent"));
            case Frame.JobResult.TYPE -> jobResult(f);
            case Frame.JobOutput.TYPE -> jobOutput(f);
            case Frame.JobCancel.TYPE -> new Frame.JobCancel(jobId(f, Frame.JobCancel.TYPE));
            case Frame.TokenRotate.TYPE -> new Frame.TokenRotate();
            case Frame.TokenRotated.TYPE -> new Frame.TokenRotated(text(f, "token"));
            case Frame.TokenRotatedAck.TYPE -> new Frame.TokenRotatedAck();
            case Frame.Bye.TYPE -> new Frame.Bye(text(f, "reason"));
            // Older servers were documented with "message"; "detail" is what they send.
            case Frame.Error.TYPE -> new Frame.Error(text(f, "code"), f.hasNonNull("detail") ? text(f, "detail") : text(f, "message"));
            default -> throw new FrameException("unknown_frame", "Unknown frame type '" + abbreviate(envelope.type()) + "'.");
        };
    }

    /** The frame as JSON text. */
    public String write(Frame frame) {
        ObjectNode out = NODES.objectNode().put("type", frame.type());
        // Java 17: no pattern switch, so a chain of instanceof (the interface is sealed; the last branch is Error).
        if (frame instanceof Frame.Hello h) {
            putIfSet(out, "hostname", h.hostname());
            putIfSet(out, "os", h.os());
            putIfSet(out, "arch", h.arch());
            putIfSet(out, "agent_version", h.agentVersion());
            if (h.capabilities() != null) {
                ArrayNode caps = out.putArray("capabilities");
                h.capabilities().forEach(caps::add);
            }
            if (h.labels() != null) {
                ObjectNode labels = out.putObject("labels");
                h.labels().forEach(labels::put);
            }
            putIfSet(out, "purpose", h.purpose());
        } else if (frame instanceof Frame.Welcome w) {
            out.put("robot_id", w.robotId()).put("name", w.name()).put("session_id", w.sessionId());
            if (w.heartbeatIntervalS() != null) {
                out.put("heartbeat_interval_s", w.heartbeatIntervalS());
            }
            putIfSet(out, "purpose", w.purpose());
        } else if (frame instanceof Frame.Heartbeat h) {
            out.put("sent_at", h.sentAt());
        } else if (frame instanceof Frame.HeartbeatAck a) {
            putIfSet(out, "sent_at", a.sentAt());
        } else if (frame instanceof Frame.JobAssign a) {
            out.put("job_id", a.jobId()).put("kind", a.kind());
            out.set("payload", a.payload());
            out.put("timeout_s", a.timeoutS()).put("attempt", a.attempt());
        } else if (frame instanceof Frame.JobAccepted a) {
            out.put("job_id", a.jobId());
        } else if (frame instanceof Frame.JobProgress p) {
            out.put("job_id", p.jobId()).put("percent", p.percent());
        } else if (frame instanceof Frame.JobResult r) {
            out.put("job_id", r.jobId()).put("status", r.status());
            out.set("output", r.output());
            out.put("exit_code", r.exitCode()).put("error", r.error());
        } else if (frame instanceof Frame.JobOutput o) {
            out.put("job_id", o.jobId()).put("attempt", o.attempt()).put("seq", o.seq()).put("stream", o.stream()).put("data", o.data());
            if (o.truncated()) {
                out.put("truncated", true);
            }
        } else if (frame instanceof Frame.JobCancel c) {
            out.put("job_id", c.jobId());
        } else if (frame instanceof Frame.TokenRotated r) {
            out.put("token", r.token());
        } else if (frame instanceof Frame.Bye b) {
            out.put("reason", b.reason());
        } else if (frame instanceof Frame.Error e) {
            out.put("code", e.code()).put("detail", e.detail());
        }
        // token.rotate and token.rotated.ack have no fields.
        return out.toString();
    }

    private static Frame.Hello hello(JsonNode f) throws FrameException {
        JsonNode purpose = f.get("purpose");
        if (purpose != null && !purpose.isNull() && !(purpose.isTextual() && purpose.asText().equals(Frame.Hello.ROTATE_TOKEN))) {
            throw invalidHello();
        }
        return new Frame.Hello(helloText(f, "hostname"), helloText(f, "os"), helloText(f, "arch"), helloText(f, "agent_version"),
                capabilities(f), labels(f), purpose == null || purpose.isNull() ? null : Frame.Hello.ROTATE_TOKEN);
    }

    private static List<String> capabilities(JsonNode frame) throws FrameException {
        JsonNode caps = frame.get("capabilities");
        if (caps == null || caps.isNull()) {
            return null;
        }
        if (!caps.isArray() || caps.size() > 100) {
            throw invalidHello();
        }
        List<String> capabilities = new ArrayList<>();
        for (JsonNode cap : caps) {
            if (!cap.isTextual() || cap.asText().isBlank() || cap.asText().length() > 100) {
                throw invalidHello();
            }
            capabilities.add(cap.asText());
        }
        return List.copyOf(capabilities);
    }

    private static Map<String, String> labels(JsonNode frame) throws FrameException {
        JsonNode labelNode = frame.get("labels");
        if (labelNode == null || labelNode.isNull()) {
            return null;
        }
        if (!labelNode.isObject() || labelNode.size() > 50) {
            throw invalidHello();
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : labelNode.properties()) {
            if (!entry.getValue().isTextual() || entry.getKey().length() > 200 || entry.getValue().asText().length() > 200) {
                throw invalidHello();
            }
            labels.put(entry.getKey(), entry.getValue().asText());
        }
        return labels;
    }

    private static String helloText(JsonNode frame, String field) throws FrameException {
        JsonNode value = frame.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.asText().length() > 255 || value.asText().chars().anyMatch(c -> c < 0x20)) {
            throw invalidHello();
        }
        return value.asText();
    }

    private static Frame.JobResult jobResult(JsonNode f) throws FrameException {
        String jobId = jobId(f, Frame.JobResult.TYPE);
        JsonNode status = f.get("status");
        if (status == null || !status.isTextual() || !Frame.JobResult.STATUSES.contains(status.asText())) {
            throw invalidJob("'job.result' needs status succeeded, failed, timed_out or cancelled.");
        }
        JsonNode exitCode = f.get("exit_code");
        if (exitCode != null && !exitCode.isNull() && !(exitCode.isIntegralNumber() && exitCode.canConvertToInt())) {
            throw invalidJob("'job.result' exit_code must be a whole number or null.");
        }
        JsonNode error = f.get("error");
        if (error != null && !error.isNull() && !error.isTextual()) {
            throw invalidJob("'job.result' error must be a string or null.");
        }
        return new Frame.JobResult(jobId, status.asText(), value(f, "output"),
                exitCode == null || exitCode.isNull() ? null : exitCode.intValue(), error == null || error.isNull() ? null : error.asText());
    }

    /**
     * A {@code job.output}: a positive whole {@code attempt} and {@code seq}, {@code stream} stdout or stderr, string
     * {@code data} of at most {@value Frame.JobOutput#MAX_DATA_BYTES} bytes in UTF-8, optional boolean {@code truncated}.
     */
    private static Frame.JobOutput jobOutput(JsonNode f) throws FrameException {
        String jobId = jobId(f, Frame.JobOutput.TYPE);
        Integer attempt = integer(f, "attempt");
        Integer seq = integer(f, "seq");
        if (attempt == null || attempt < 1 || seq == null || seq < 1) {
            throw invalidJob("'job.output' needs whole numbers attempt and seq of at least 1.");
        }
        String stream = text(f, "stream");
        if (stream == null || !Frame.JobOutput.STREAMS.contains(stream)) {
            throw invalidJob("'job.output' needs stream stdout or stderr.");
        }
        JsonNode data = f.get("data");
        if (data == null || !data.isTextual()) {
            throw invalidJob("'job.output' needs a string data.");
        }
        String text = data.asText();
        if (utf8Length(text) > Frame.JobOutput.MAX_DATA_BYTES) {
            throw invalidJob("'job.output' data may be at most " + Frame.JobOutput.MAX_DATA_BYTES + " bytes (UTF-8); send more frames.");
        }
        JsonNode truncated = f.get("truncated");
        if (truncated != null && !truncated.isNull() && !truncated.isBoolean()) {
            throw invalidJob("'job.output' truncated must be true, false or absent.");
        }
        return new Frame.JobOutput(jobId, attempt, seq, stream, text, truncated != null && truncated.asBoolean(false));
    }

    /** The length of {@code text} in UTF-8 bytes, counted without encoding it. */
    public static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** A job frame's {@code job_id}: a non-blank string of at most {@link #MAX_JOB_ID} characters. */
    private static String jobId(JsonNode frame, String type) throws FrameException {
        JsonNode jobId = frame.get("job_id");
        if (jobId == null || !jobId.isTextual() || jobId.asText().isBlank() || jobId.asText().length() > MAX_JOB_ID) {
            throw invalidJob("'" + type + "' needs a string job_id.");
        }
        return jobId.asText();
    }

    /** A string field, or null when absent, null or not a string. */
    private static String text(JsonNode frame, String field) {
        JsonNode value = frame.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    /** A whole-number field that fits an int, or null. */
    private static Integer integer(JsonNode frame, String field) {
        JsonNode value = frame.get(field);
        return value != null && value.isIntegralNumber() && value.canConvertToInt() ? value.intValue() : null;
    }

    /** Any JSON value, or null when absent or JSON null. */
    private static JsonNode value(JsonNode frame, String field) {
        JsonNode value = frame.get(field);
        return value == null || value.isNull() ? null : value;
    }

    private static void putIfSet(ObjectNode out, String field, String value) {
        if (value != null) {
            out.put(field, value);
        }
    }

    private static FrameException invalidHello() {
        return new FrameException("invalid_hello", HELLO_RULES);
    }

    private static FrameException invalidJob(String detail) {
        return new FrameException("invalid_job_frame", detail);
    }

    /** A type as it may appear in an error detail: at most 40 characters. */
    public static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
