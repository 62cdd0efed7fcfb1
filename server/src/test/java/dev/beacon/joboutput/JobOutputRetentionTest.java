package dev.beacon.joboutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.beacon.retention.Kind;
import dev.beacon.retention.Pruner;
import dev.beacon.retention.RetentionSettings;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconServerExtension;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The retention pruner removes live job output with {@code --retain-job-output}, on both databases: chunks of finished
 * jobs older than the retention go, younger ones and those of a job still running stay.
 */
@BeaconTest
class JobOutputRetentionTest implements BeaconServerExtension.ConfiguresServer {
    @Parameter
    Backend backend;

    TestServer server;
    final FakeClock clock = new FakeClock(Instant.parse("2026-03-01T00:00:00Z"));
    StreamingAgent agent;

    @Override
    public ServerConfig configure(ServerConfig config) {
        return config.withClock(clock).withRetention(new RetentionSettings(Duration.ofDays(30), Duration.ofMinutes(10), Duration.ofDays(365),
                Duration.ofDays(30), Duration.ofDays(90), Duration.ofDays(90)));
    }

    @AfterEach
    void close() {
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void output_past_its_retention_is_pruned_unless_its_job_still_runs() throws Exception {
        agent = StreamingAgent.connect(server, "pruned");
        String finished = agent.startJob();
        agent.output(finished, 1, 1, "stdout", "a\n").output(finished, 1, 2, "stdout", "b\n").output(finished, 1, 3, "stderr", "c\n");
        agent.finish(finished);
        String running = agent.startJob();
        agent.output(running, 1, 1, "stdout", "still running\n").output(running, 1, 2, "stdout", "and more\n");
        assertThat(agent.nextAnswerAfterHeartbeat()).isEqualTo("heartbeat.ack");
        await().atMost(Duration.ofSeconds(10)).until(() -> StreamingAgent.stored(server, running)[0] == 2);

        clock.advance(Duration.ofMinutes(11));
        Pruner.Run run = server.server().pruner().runOnce();

        assertThat(run).isInstanceOf(Pruner.Run.Pruned.class);
        assertThat(((Pruner.Run.Pruned) run).rows().get(Kind.JOB_OUTPUT)).isEqualTo(3);
        assertThat(StreamingAgent.stored(server, finished)[0]).isZero();
        assertThat(StreamingAgent.stored(server, running)[0]).isEqualTo(2);
        assertThat(server.get("/api/jobs/" + finished + "/output", server.adminKey()).json().get("chunks")).isEmpty();
    }
}
