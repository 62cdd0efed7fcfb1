package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.testing.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's side of live job output: chunks are coalesced, numbered, never over 16 KiB nor split inside a
 * character, and the rate bound stops the stream with one truncated frame; a real handler's lines arrive while it
 * runs, and its result's output is what it was without streaming.
 */
class OutputStreamerTest {
    private final List<Frame.JobOutput> sent = new CopyOnWriteArrayList<>();
    private final FakeTicker ticker = new FakeTicker();
    private JobRunner runner;

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    private OutputStreamer streamer() {
        return new OutputStreamer("job_1", 3, sent::add, null, ticker);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private String text(String stream) {
        return sent.stream().filter(frame -> frame.stream().equals(stream)).map(Frame.JobOutput::data).collect(Collectors.joining());
    }

    @Test
    void lines_written_between_two_flushes_go_out_as_one_chunk_numbered_from_one() {
        OutputStreamer out = streamer();
        out.write("stdout", bytes("line 1\n"), 0, 7);
        out.write("stdout", bytes("line 2\n"), 0, 7);
        assertThat(sent).isEmpty();

        out.flush();
        out.write("stdout", bytes("line 3\n"), 0, 7);
        out.close();

        assertThat(sent).containsExactly(new Frame.JobOutput("job_1", 3, 1, "stdout", "line 1\nline 2\n", false),
                new Frame.JobOutput("job_1", 3, 2, "stdout", "line 3\n", false));
    }

    @Test
    void a_switch_to_the_other_stream_sends_what_was_gathered_so_the_order_is_kept() {
        OutputStreamer out = streamer();
        out.write("stdout", bytes("a\n"), 0, 2);
        out.write("stderr", bytes("oops\n"), 0, 5);
        out.write("stdout", bytes("b\n"), 0, 2);
        out.close();

        assertThat(sent).extracting(Frame.JobOutput::stream).containsExactly("stdout", "stderr", "stdout");
        assertThat(sent).extracting(Frame.JobOutput::seq).containsExactly(1, 2, 3);
    }

    @Test
    void a_full_chunk_goes_at_once_and_no_chunk_splits_a_character_or_exceeds_16_KiB() {
        OutputStreamer out = streamer();
        byte[] text = bytes("x" + "é".repeat(20_000)); // 40,001 bytes: the 16 KiB boundaries fall inside characters
        for (int at = 0; at < text.length; at += 1000) {
            out.write("stdout", text, at, Math.min(1000, text.length - at));
        }
        assertThat(sent).hasSizeGreaterThanOrEqualTo(2);
        out.close();

        assertThat(sent).allSatisfy(frame -> assertThat(FrameCodec.utf8Length(frame.data())).isLessThanOrEqualTo(16 * 1024));
        assertThat(text("stdout")).isEqualTo("x" + "é".repeat(20_000));
    }

    @Test
    void past_the_rate_bound_it_sends_one_truncated_frame_and_nothing_more() {
        OutputStreamer out = streamer();
        byte[] kib = bytes("y".repeat(1024));
        for (int i = 0; i < 1024; i++) { // 1 MiB at once: four times the burst
            out.write("stdout", kib, 0, kib.length);
        }
        ticker.advance(Duration.ofSeconds(10));
        out.write("stdout", kib, 0, kib.length);
        out.close();

        long dataBytes = sent.stream().mapToLong(frame -> frame.data().length()).sum();
        assertThat(dataBytes).isLessThanOrEqualTo(OutputStreamer.BURST_BYTES).isGreaterThan(OutputStreamer.BURST_BYTES / 2);
        Frame.JobOutput last = sent.get(sent.size() - 1);
        assertThat(last.truncated()).isTrue();
        assertThat(last.data()).isEmpty();
        assertThat(sent.stream().filter(Frame.JobOutput::truncated)).hasSize(1);
        assertThat(sent).extracting(Frame.JobOutput::seq).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void the_rate_bound_refills_with_time_for_output_that_keeps_within_it() {
        OutputStreamer out = streamer();
        byte[] chunk = bytes("z".repeat(6_000));
        for (int i = 0; i < 200; i++) { // 60 KB a second for 20 s: within 64 KiB/s
            out.write("stdout", chunk, 0, chunk.length);
            out.flush();
            ticker.advance(Duration.ofMillis(100));
        }
        out.close();

        assertThat(sent).noneMatch(Frame.JobOutput::truncated);
        assertThat(text("stdout")).hasSize(200 * 6_000);
    }

    @Test
    void a_handler_printing_a_line_every_100_ms_is_streamed_while_it_runs_and_its_result_is_unchanged() throws Exception {
        runner = new JobRunner(Map.of("ticker", new HandlerConfig(List.of("sh", "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 0.1; done; echo done >&2"), null)));
        CompletableFuture<JobResult> result = new CompletableFuture<>();
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        runner.submit(new JobAssignment("job_9", "ticker", null, 30, 1), () -> { }, frame -> {
            arrivals.add(System.nanoTime());
            sent.add(frame);
        }, result::complete);

        await().atMost(Duration.ofSeconds(5)).until(() -> text("stdout").contains("line 3\n"));
        assertThat(result).isNotDone();
        JobResult done = result.get(20, TimeUnit.SECONDS);

        assertThat(text("stdout")).isEqualTo("line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\nline 10\n");
        assertThat(text("stderr")).isEqualTo("done\n");
        assertThat(sent).extracting(Frame.JobOutput::seq).isSorted().doesNotHaveDuplicates();
        assertThat(sent).allSatisfy(frame -> assertThat(frame.attempt()).isEqualTo(1));
        assertThat(sent.size()).as("coalesced, yet streamed: several frames over a second").isBetween(4, 30);
        assertThat(arrivals.get(0) - start).as("the first line came long before the end").isLessThan(TimeUnit.MILLISECONDS.toNanos(700));
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.output().asText()).isEqualTo(text("stdout"));
    }
}
