package dev.beacon.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The {@code job.output} frame: written and read back, and every rule an agent's frame must keep. */
class JobOutputFrameTest {
    private final FrameCodec codec = new FrameCodec(new ObjectMapper());

    @Test
    void a_chunk_is_written_with_every_field_and_read_back_the_same() throws Exception {
        Frame.JobOutput chunk = new Frame.JobOutput("job_1", 2, 7, "stderr", "line 1\nline ✓ 2\n", false);

        String text = codec.write(chunk);

        assertThat(text).isEqualTo("{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":2,\"seq\":7,\"stream\":\"stderr\","
                + "\"data\":\"line 1\\nline ✓ 2\\n\"}");
        assertThat(codec.read(text)).isEqualTo(chunk);
    }

    @Test
    void the_last_chunk_of_an_agent_that_stopped_sending_says_truncated() throws Exception {
        Frame.JobOutput last = new Frame.JobOutput("job_1", 1, 40, "stdout", "", true);

        String text = codec.write(last);

        assertThat(text).endsWith(",\"data\":\"\",\"truncated\":true}");
        assertThat(codec.read(text)).isEqualTo(last);
    }

    @Test
    void data_of_exactly_16_KiB_in_UTF_8_is_accepted_and_one_byte_more_is_refused() throws Exception {
        String full = "é".repeat(Frame.JobOutput.MAX_DATA_BYTES / 2); // two bytes each
        Frame.JobOutput fits = new Frame.JobOutput("job_1", 1, 1, "stdout", full, false);
        assertThat(codec.read(codec.write(fits))).isEqualTo(fits);

        String over = codec.write(new Frame.JobOutput("job_1", 1, 1, "stdout", full + "x", false));
        assertThatThrownBy(() -> codec.read(over)).isInstanceOfSatisfying(FrameException.class, e -> {
            assertThat(e.code()).isEqualTo("invalid_job_frame");
            assertThat(e.detail()).contains("at most 16384 bytes");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"job.output\",\"attempt\":1,\"seq\":1,\"stream\":\"stdout\",\"data\":\"x\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"seq\":1,\"stream\":\"stdout\",\"data\":\"x\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":0,\"seq\":1,\"stream\":\"stdout\",\"data\":\"x\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":\"1\",\"stream\":\"stdout\",\"data\":\"x\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":1,\"stream\":\"stdin\",\"data\":\"x\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":1,\"data\":\"x\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":1,\"stream\":\"stdout\",\"data\":42}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":1,\"stream\":\"stdout\"}",
            "{\"type\":\"job.output\",\"job_id\":\"job_1\",\"attempt\":1,\"seq\":1,\"stream\":\"stdout\",\"data\":\"\",\"truncated\":\"yes\"}"})
    void a_chunk_that_breaks_a_rule_is_an_invalid_job_frame(String text) {
        assertThatThrownBy(() -> codec.read(text)).isInstanceOfSatisfying(FrameException.class,
                e -> assertThat(e.code()).isEqualTo("invalid_job_frame"));
    }

    @Test
    void utf8_length_counts_bytes_without_encoding() {
        assertThat(FrameCodec.utf8Length("a")).isEqualTo(1);
        assertThat(FrameCodec.utf8Length("é")).isEqualTo(2);
        assertThat(FrameCodec.utf8Length("✓")).isEqualTo(3);
        assertThat(FrameCodec.utf8Length("😀")).isEqualTo(4);
    }
}
