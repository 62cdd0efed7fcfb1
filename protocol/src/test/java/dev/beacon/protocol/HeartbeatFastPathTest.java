package dev.beacon.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tree-free heartbeat read and ack write agree with the full codec, or step aside for it. */
class HeartbeatFastPathTest {
    private final FrameCodec codec = new FrameCodec(new ObjectMapper());

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"heartbeat\",\"sent_at\":\"2026-11-22T21:59:00.000Z\"}",
            "{\"sent_at\":\"2026-11-22T21:59:00.000Z\",\"type\":\"heartbeat\"}",
            "{\"type\":\"heartbeat\"}",
            "{\"type\":\"heartbeat\",\"sent_at\":null}",
            "{\"type\":\"heartbeat\",\"sent_at\":17}",
            "{\"type\":\"heartbeat\",\"sent_at\":{\"a\":[1,2]}}",
            "{\"type\":\"heartbeat\",\"sent_at\":\"\\u00e9t\\u00e9 \\\"quoted\\\"\"}",
            "  {\"type\" : \"heartbeat\", \"extra\": [1, {\"b\": 2}], \"sent_at\": \"x\"}  ",
    })
    void a_plain_heartbeat_reads_as_the_full_codec_reads_it(String text) throws FrameException {
        assertThat(codec.plainHeartbeat(text)).isNotNull().isEqualTo(codec.read(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"hello\",\"hostname\":\"heartbeat\"}",
            "{\"type\":\"heartbeat\",\"type\":\"hello\"}",
            "{\"type\":\"heartbeat\",\"sent_at\":\"a\",\"sent_at\":\"b\"}",
            "{\"type\":\"heartbeat\"} trailing",
            "{\"type\":\"heartbeat\"",
            "[\"heartbeat\"]",
            "\"heartbeat\"",
            "{\"kind\":\"heartbeat\"}",
            "{\"type\":\"heartbeat.ack\"}",
            "{\"type\":[\"heartbeat\"]}",
            "",
    })
    void anything_but_a_plain_heartbeat_is_left_to_the_full_read(String text) {
        assertThat(codec.plainHeartbeat(text)).isNull();
    }

    @Test
    void a_heartbeat_nested_past_the_depth_limit_is_left_to_the_full_read() {
        FrameCodec limited = new FrameCodec(new ObjectMapper(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(3).build()).build()));
        assertThat(limited.plainHeartbeat("{\"type\":\"heartbeat\",\"x\":[[[[1]]]]}")).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-22T21:59:00.000Z", "", "with \"quotes\"", "back\\slash", "tab\there", "été", "\u007f", "a/b", "<>&'"})
    void the_ack_is_the_text_the_codec_writes(String sentAt) {
        assertThat(codec.writeHeartbeatAck(sentAt)).isEqualTo(codec.write(new Frame.HeartbeatAck(sentAt)));
    }

    @Test
    void an_ack_without_sent_at_is_the_text_the_codec_writes() {
        assertThat(codec.writeHeartbeatAck(null)).isEqualTo(codec.write(new Frame.HeartbeatAck(null))).isEqualTo("{\"type\":\"heartbeat.ack\"}");
    }
}
