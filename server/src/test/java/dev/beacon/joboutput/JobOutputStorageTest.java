package dev.beacon.joboutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * {@code job.output} frames from an agent socket to the {@code job_output} table, on both databases: in order,
 * duplicates harmless, only from the session holding the job, refused when malformed, capped per job with one
 * truncated mark, and a 50 MB flood capped without slowing the server down.
 */
@BeaconTest
class JobOutputStorageTest {
    private static final int KIB_16 = 16 * 1024;

    @Parameter
    Backend backend;

    TestServer server;
    StreamingAgent agent;

    @AfterEach
    void close() {
        if (agent != null) {
            agent.close();
        }
    }

    private JsonNode output(String jobId) {
        TestServer.Response response = server.get("/api/jobs/" + jobId + "/output", server.adminKey());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    private static String text(JsonNode output) {
        StringBuilder text = new StringBuilder();
        output.get("chunks").forEach(chunk -> text.append(chunk.get("data").asText()));
        return text.toString();
    }

    @Test
    void chunks_are_stored_in_order_and_a_chunk_sent_twice_is_stored_once() throws Exception {
        agent = StreamingAgent.connect(server, "talker");
        String jobId = agent.startJob();
        for (int seq = 1; seq <= 20; seq++) {
            agent.output(jobId, 1, seq, seq % 5 == 0 ? "stderr" : "stdout", "line " + seq + "\n");
        }
        agent.output(jobId, 1, 7, "stdout", "line 7 again\n").output(jobId, 1, 20, "stderr", "line 20 again\n");
        agent.finish(jobId);

        JsonNode output = output(jobId);
        assertThat(output.get("chunks")).hasSize(20);
        List<String> ids = new ArrayList<>();
        output.get("chunks").forEach(chunk -> ids.add(chunk.get("id").asText()));
        assertThat(ids).containsExactly("1:1", "1:2", "1:3", "1:4", "1:5", "1:6", "1:7", "1:8", "1:9", "1:10", "1:11", "1:12",
                "1:13", "1:14", "1:15", "1:16", "1:17", "1:18", "1:19", "1:20");
        assertThat(output.get("chunks").get(4).get("stream").asText()).isEqualTo("stderr");
        assertThat(text(output)).startsWith("line 1\nline 2\n").endsWith("line 19\nline 20\n").doesNotContain("again");
        assertThat(output.get("truncated").asBoolean()).isFalse();
        assertThat(output.get("status").asText()).isEqualTo("succeeded");
        assertThat(StreamingAgent.stored(server, jobId)[0]).isEqualTo(20);
    }

    @Test
    void malformed_chunks_get_invalid_job_frame_and_chunks_for_jobs_the_session_does_not_hold_are_ignored() throws Exception {
        agent = StreamingAgent.connect(server, "stray");
        String jobId = agent.startJob();

        agent.output(jobId, 1, 1, "stdin", "x");
        assertThat(agent.socket.next("error").get("code").asText()).isEqualTo("invalid_job_frame");
        agent.output(jobId, 1, 2, "stdout", "x".repeat(KIB_16 + 1));
        JsonNode tooBig = agent.socket.next("error");
        assertThat(tooBig.get("code").asText()).isEqualTo("invalid_job_frame");
        assertThat(tooBig.get("detail").asText()).contains("16384 bytes");
        agent.socket.send("{\"type\":\"job.output\",\"job_id\":\"" + jobId + "\",\"attempt\":1,\"stream\":\"stdout\",\"data\":\"x\"}");
        assertThat(agent.socket.next("error").get("code").asText()).isEqualTo("invalid_job_frame");

        agent.output("job_not_mine", 1, 1, "stdout", "not stored\n");
        agent.output(jobId, 2, 1, "stdout", "not this attempt\n");
        agent.output(jobId, 1, 3, "stdout", "stored\n");
        assertThat(agent.nextAnswerAfterHeartbeat()).as("ignored without an answer").isEqualTo("heartbeat.ack");
        agent.finish(jobId);
        agent.output(jobId, 1, 4, "stdout", "after the result\n");
        assertThat(agent.nextAnswerAfterHeartbeat()).isEqualTo("heartbeat.ack");

        assertThat(text(output(jobId))).isEqualTo("stored\n");
        assertThat(StreamingAgent.stored(server, "job_not_mine")[0]).isZero();
    }

    @Test
    void past_the_cap_the_chunk_is_cut_one_truncated_mark_is_stored_and_later_chunks_are_dropped() throws Exception {
        agent = StreamingAgent.connect(server, "chatty");
        String jobId = agent.startJob();
        String block = "0123456789abcdef".repeat(KIB_16 / 16);
        for (int seq = 1; seq <= 80; seq++) { // 1.25 MiB against the default cap of 1 MiB
            agent.output(jobId, 1, seq, "stdout", block);
        }
        agent.finish(jobId);

        long[] stored = StreamingAgent.stored(server, jobId);
        assertThat(stored[1]).as("characters stored: exactly the cap").isEqualTo(JobOutputService.DEFAULT_CAP_BYTES);
        assertThat(stored[2]).as("truncation marks").isEqualTo(1);
        assertThat(stored[0]).as("64 chunks and the mark").isEqualTo(65);
        JsonNode output = output(jobId);
        assertThat(output.get("truncated").asBoolean()).isTrue();
        assertThat(output.get("chunks")).hasSize(64);
        assertThat(output.get("next_after_seq").asText()).isEqualTo("1:65");
        assertThat(server.metric("beacon_job_output_dropped_bytes_total")).isEqualTo(16.0 * KIB_16);
    }

    @Test
    void a_job_printing_50_MB_is_capped_and_the_server_keeps_answering_meanwhile() throws Exception {
        agent = StreamingAgent.connect(server, "firehose");
        String jobId = agent.startJob();
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong slowest = new AtomicLong();
        List<Integer> statuses = new ArrayList<>();
        Thread prober = Thread.ofPlatform().start(() -> {
            while (flooding.get()) {
                long start = System.nanoTime();
                int status = server.get("/api/jobs/" + jobId, server.adminKey()).status();
                slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
                synchronized (statuses) {
                    statuses.add(status);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        String block = "x".repeat(KIB_16 - 1) + "\n";
        try {
            for (int seq = 1; seq <= 3200; seq++) { // 50 MiB
                agent.output(jobId, 1, seq, seq % 2 == 0 ? "stderr" : "stdout", block);
            }
            assertThat(agent.nextAnswerAfterHeartbeat()).as("the connection is still served").isEqualTo("heartbeat.ack");
        } finally {
            flooding.set(false);
            prober.join();
        }
        agent.finish(jobId);

        long[] stored = StreamingAgent.stored(server, jobId);
        assertThat(stored[1]).as("the database holds at most the cap").isLessThanOrEqualTo(JobOutputService.DEFAULT_CAP_BYTES);
        assertThat(stored[2]).isEqualTo(1);
        synchronized (statuses) {
            assertThat(statuses).isNotEmpty().containsOnly(200);
        }
        assertThat(Duration.ofNanos(slowest.get())).as("the slowest API answer during the flood").isLessThan(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.metric("beacon_job_output_dropped_bytes_total") >= 49.0 * 1024 * 1024);
        assertThat(server.get("/readyz", null).status()).isEqualTo(200);
    }
}
