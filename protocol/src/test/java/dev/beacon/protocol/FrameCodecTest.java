package dev.beacon.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrameCodecTest {
    private final FrameCodec codec = new FrameCodec(new ObjectMapper());

    static Stream<Object[]> frames() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("zone", "a");
        labels.put("room", "b");
        var payload = JsonNodeFactory.instance.objectNode();
        payload.putArray("hello").add(1).add(2);
        return Stream.of(
                new Object[] {new Frame.Hello("bot02", "linux", "amd64", "0.1.0", List.of("echo", "sleep"), labels, null),
                        "{\"type\":\"hello\",\"hostname\":\"bot02\",\"os\":\"linux\",\"arch\":\"amd64\",\"agent_version\":\"0.1.0\","
                                + "\"capabilities\":[\"echo\",\"sleep\"],\"labels\":{\"zone\":\"a\",\"room\":\"b\"}}"},
                new Object[] {Frame.Hello.rotateOnly(), "{\"type\":\"hello\",\"purpose\":\"rotate-token\"}"},
                new Object[] {new Frame.Welcome("rob_1", "bot-02", "ses_1", 15, null),
                        "{\"type\":\"welcome\",\"robot_id\":\"rob_1\",\"name\":\"bot-02\",\"session_id\":\"ses_1\",\"heartbeat_interval_s\":15}"},
                new Object[] {new Frame.Welcome("rob_1", "bot-02", "ses_1", null, "rotate-token"),
                        "{\"type\":\"welcome\",\"robot_id\":\"rob_1\",\"name\":\"bot-02\",\"session_id\":\"ses_1\",\"purpose\":\"rotate-token\"}"},
                new Object[] {new Frame.Heartbeat("2026-11-22T21:59:00.000Z"), "{\"type\":\"heartbeat\",\"sent_at\":\"2026-11-22T21:59:00.000Z\"}"},
                new Object[] {new Frame.HeartbeatAck("2026-11-22T21:59:00.000Z"), "{\"type\":\"heartbeat.ack\",\"sent_at\":\"2026-11-22T21:59:00.000Z\"}"},
                new Object[] {new Frame.HeartbeatAck(null), "{\"type\":\"heartbeat.ack\"}"},
                new Object[] {new Frame.JobAssign("job_1", "echo", payload, 30, 1),
                        "{\"type\":\"job.assign\",\"job_id\":\"job_1\",\"kind\":\"echo\",\"payload\":{\"hello\":[1,2]},\"timeout_s\":30,\"attempt\":1}"},
                new Object[] {new Frame.JobAccepted("job_1"), "{\"type\":\"job.accepted\",\"job_id\":\"job_1\"}"},
                new Object[] {new Frame.JobProgress("job_1", 50), "{\"type\":\"job.progress\",\"job_id\":\"job_1\",\"percent\":50}"},
                new Object[] {new Frame.JobResult("job_1", "succeeded", payload, null, null),
                        "{\"type\":\"job.result\",\"job_id\":\"job_1\",\"status\":\"succeeded\",\"output\":{\"hello\":[1,2]},\"exit_code\":null,\"error\":null}"},
                new Object[] {new Frame.JobResult("job_6", "timed_out", null, null, "timed out after 1 s"),
                        "{\"type\":\"job.result\",\"job_id\":\"job_6\",\"status\":\"timed_out\",\"output\":null,\"exit_code\":null,\"error\":\"timed out after 1 s\"}"},
                new Object[] {new Frame.JobCancel("job_1"), "{\"type\":\"job.cancel\",\"job_id\":\"job_1\"}"},
                new Object[] {new Frame.JobOutput("job_1", 1, 1, "stdout", "hi\n", false),
                        "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":1,\"stream\":\"stdout\",\"data\":\"hi\\n\"}"},
                new Object[] {new Frame.TokenRotate(), "{\"type\":\"token.rotate\"}"},
                new Object[] {new Frame.TokenRotated("rf_robot_x"), "{\"type\":\"token.rotated\",\"token\":\"rf_robot_x\"}"},
                new Object[] {new Frame.TokenRotatedAck(), "{\"type\":\"token.rotated.ack\"}"},
                new Object[] {new Frame.Bye("replaced"), "{\"type\":\"bye\",\"reason\":\"replaced\"}"},
                new Object[] {new Frame.Error("hello_required", "Send 'hello' first; got 'heartbeat'."),
                        "{\"type\":\"error\",\"code\":\"hello_required\",\"detail\":\"Send 'hello' first; got 'heartbeat'.\"}"});
    }

    @ParameterizedTest
    @MethodSource("frames")
    void everyFrameWritesItsDocumentedTextAndReadsBack(Frame frame, String text) throws FrameException {
        assertThat(codec.write(frame)).isEqualTo(text);
        assertThat(codec.read(text)).isEqualTo(frame);
    }

    @Test
    void everyFrameTypeIsCovered() {
        assertThat(frames().map(f -> f[0].getClass()).distinct())
                .hasSize(Frame.class.getPermittedSubclasses().length);
    }

    @Test
    void notJsonOrNoTypeIsMalformed() {
        assertThatThrownBy(() -> codec.read("{nope")).hasFieldOrPropertyWithValue("code", "malformed_frame")
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> codec.read("[1]")).hasFieldOrPropertyWithValue("code", "malformed_frame")
                .hasMessageContaining("string 'type'");
        assertThatThrownBy(() -> codec.read("{\"type\":5}")).hasFieldOrPropertyWithValue("code", "malformed_frame");
    }

    @Test
    void tooDeepIsMalformedUnderTheGivenMappersLimits() {
        FrameCodec limited = new FrameCodec(new ObjectMapper(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(5).build()).build()));
        assertThatThrownBy(() -> limited.read("{\"type\":\"hello\",\"labels\":[[[[[[[1]]]]]]]}"))
                .hasFieldOrPropertyWithValue("code", "malformed_frame");
    }

    @Test
    void unknownTypeIsReportedAbbreviated() {
        assertThatThrownBy(() -> codec.read("{\"type\":\"" + "x".repeat(100) + "\"}"))
                .hasFieldOrPropertyWithValue("code", "unknown_frame")
                .hasFieldOrPropertyWithValue("detail", "Unknown frame type '" + "x".repeat(40) + "…'.");
    }

    @Test
    void helloOverItsLimitsIsInvalid() {
        for (String bad : List.of("{\"type\":\"hello\",\"hostname\":\"" + "h".repeat(256) + "\"}",
                "{\"type\":\"hello\",\"os\":\"a\\nb\"}",
                "{\"type\":\"hello\",\"arch\":5}",
                "{\"type\":\"hello\",\"purpose\":\"other\"}",
                "{\"type\":\"hello\",\"capabilities\":\"echo\"}",
                "{\"type\":\"hello\",\"capabilities\":[\" \"]}",
                "{\"type\":\"hello\",\"capabilities\":[" + "\"c\",".repeat(100) + "\"c\"]}",
                "{\"type\":\"hello\",\"labels\":{\"a\":1}}")) {
            assertThatThrownBy(() -> codec.read(bad)).as(bad).hasFieldOrPropertyWithValue("code", "invalid_hello")
                    .hasFieldOrPropertyWithValue("detail", FrameCodec.HELLO_RULES);
        }
    }

    @Test
    void jobFramesNeedTheirFields() {
        assertThatThrownBy(() -> codec.read("{\"type\":\"job.accepted\"}"))
                .hasFieldOrPropertyWithValue("detail", "'job.accepted' needs a string job_id.");
        assertThatThrownBy(() -> codec.read("{\"type\":\"job.result\",\"job_id\":\"j\"}"))
                .hasFieldOrPropertyWithValue("detail", "'job.result' needs status succeeded, failed, timed_out or cancelled.");
        assertThatThrownBy(() -> codec.read("{\"type\":\"job.result\",\"job_id\":\"j\",\"status\":\"failed\",\"exit_code\":1.5}"))
                .hasFieldOrPropertyWithValue("code", "invalid_job_frame");
        assertThatThrownBy(() -> codec.read("{\"type\":\"job.assign\",\"job_id\":\"j\"}"))
                .hasFieldOrPropertyWithValue("code", "invalid_job_frame");
    }

    @Test
    void aJobIdIsANonBlankStringOfAtMostAHundredCharacters() throws FrameException {
        for (String bad : List.of("\"\"", "\"  \"", "42", "\"" + "j".repeat(FrameCodec.MAX_JOB_ID + 1) + "\"")) {
            String text = "{\"type\":\"job.progress\",\"job_id\":" + bad + "}";
            assertThatThrownBy(() -> codec.read(text)).as(text).hasFieldOrPropertyWithValue("code", "invalid_job_frame")
                    .hasFieldOrPropertyWithValue("detail", "'job.progress' needs a string job_id.");
        }
        String longest = "j".repeat(FrameCodec.MAX_JOB_ID);
        assertThat(codec.read("{\"type\":\"job.accepted\",\"job_id\":\"" + longest + "\"}")).isEqualTo(new Frame.JobAccepted(longest));
    }

    @Test
    void serverFramesReadLeniently() throws FrameException {
        assertThat(codec.read("{\"type\":\"welcome\",\"heartbeat_interval_s\":\"x\",\"extra\":1}"))
                .isEqualTo(new Frame.Welcome(null, null, null, null, null));
        assertThat(codec.read("{\"type\":\"error\",\"code\":\"c\",\"message\":\"m\"}")).isEqualTo(new Frame.Error("c", "m"));
    }
}
