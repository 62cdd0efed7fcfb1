package dev.beacon.joboutput;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.cluster.NodeSettings;
import dev.beacon.server.BeaconServer;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * {@code GET /api/jobs/{id}/output} on both databases: the JSON answer and its cursor, the follow stream (chunks as
 * they come, in order, then {@code end}), resuming with {@code Last-Event-ID}, the refusals, and on PostgreSQL a
 * follower on one node seeing output that arrives on another.
 */
@BeaconTest
class JobOutputApiTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

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

    @Test
    void a_follower_gets_each_chunk_as_it_comes_in_order_then_end_and_can_resume_after_any_chunk() throws Exception {
        agent = StreamingAgent.connect(server, "streamer");
        String jobId = agent.startJob();
        try (OutputEvents events = OutputEvents.follow(server.baseUrl(), jobId, server.adminKey(), null)) {
            for (int seq = 1; seq <= 3; seq++) {
                agent.output(jobId, 1, seq, seq == 2 ? "stderr" : "stdout", "line " + seq + "\n");
                OutputEvents.Event event = events.next(WAIT);
                assertThat(event.name()).isEqualTo("chunk");
                assertThat(event.id()).isEqualTo("1:" + seq);
                assertThat(event.data().get("data").asText()).isEqualTo("line " + seq + "\n");
                assertThat(event.data().get("stream").asText()).isEqualTo(seq == 2 ? "stderr" : "stdout");
            }
            agent.output(jobId, 1, 4, "stdout", "line 4\n").output(jobId, 1, 5, "stdout", "line 5\n");
            agent.finish(jobId);

            assertThat(events.next(WAIT).id()).isEqualTo("1:4");
            assertThat(events.next(WAIT).id()).isEqualTo("1:5");
            OutputEvents.Event end = events.next(WAIT);
            assertThat(end.name()).isEqualTo("end");
            assertThat(end.data().get("status").asText()).isEqualTo("succeeded");
            assertThat(end.data().get("truncated").asBoolean()).isFalse();
            assertThat(events.next(WAIT)).isSameAs(OutputEvents.CLOSED);
        }
        try (OutputEvents resumed = OutputEvents.follow(server.baseUrl(), jobId, server.adminKey(), "1:3")) {
            assertThat(resumed.next(WAIT).id()).isEqualTo("1:4");
            assertThat(resumed.next(WAIT).id()).isEqualTo("1:5");
            assertThat(resumed.next(WAIT).name()).isEqualTo("end");
        }
    }

    @Test
    void the_json_answer_resumes_after_a_chunk_and_refuses_what_it_cannot_read() throws Exception {
        agent = StreamingAgent.connect(server, "reader");
        String jobId = agent.startJob();
        for (int seq = 1; seq <= 4; seq++) {
            agent.output(jobId, 1, seq, "stdout", "line " + seq + "\n");
        }
        agent.finish(jobId);
        String reader = server.createApiKey("reader", "read");

        TestServer.Response after = server.get("/api/jobs/" + jobId + "/output?after_seq=1:2", reader);
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.json().get("chunks")).hasSize(2);
        assertThat(after.json().get("chunks").get(0).get("id").asText()).isEqualTo("1:3");
        assertThat(after.json().get("next_after_seq").asText()).isEqualTo("1:4");
        assertThat(server.get("/api/jobs/" + jobId + "/output?after_seq=3", reader).json().get("chunks")).hasSize(1);
        assertThat(server.get("/api/jobs/" + jobId + "/output?after_seq=1:4", reader).json().get("chunks")).isEmpty();

        assertThat(server.get("/api/jobs/" + jobId + "/output?after_seq=yesterday", reader).code()).isEqualTo("validation_failed");
        assertThat(server.get("/api/jobs/" + jobId + "/output?follow=maybe", reader).code()).isEqualTo("validation_failed");
        assertThat(server.get("/api/jobs/job_nope/output", reader).status()).isEqualTo(404);
        assertThat(server.get("/api/jobs/job_nope/output?follow=true", reader).status()).isEqualTo(404);
        assertThat(server.get("/api/jobs/" + jobId + "/output", null).code()).isEqualTo("unauthorized");
        TestServer.runCli("admin", "org", "create", "--name", "other-org", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl());
        String otherOrg = server.createApiKey("elsewhere", "admin", "other-org");
        assertThat(server.get("/api/jobs/" + jobId + "/output", otherOrg).status()).isEqualTo(404);
    }

    @Test
    void a_follower_on_another_node_sees_the_output_arriving_on_this_one() throws Exception {
        Assumptions.assumeTrue(backend == Backend.POSTGRESQL, "several nodes share a PostgreSQL database only");
        try (BeaconServer nodeB = server.startAnotherNode(config -> config.withNode(NodeSettings.defaults().withName("output-b")))) {
            agent = StreamingAgent.connect(server, "on-a");
            String jobId = agent.startJob();
            try (OutputEvents events = OutputEvents.follow(nodeB.baseUrl(), jobId, server.adminKey(), null)) {
                for (int seq = 1; seq <= 3; seq++) {
                    agent.output(jobId, 1, seq, "stdout", "from a " + seq + "\n");
                    OutputEvents.Event event = events.next(WAIT);
                    assertThat(event.id()).isEqualTo("1:" + seq);
                    assertThat(event.data().get("data").asText()).isEqualTo("from a " + seq + "\n");
                }
                agent.finish(jobId);
                assertThat(events.next(WAIT).name()).isEqualTo("end");
            }
        }
    }
}
