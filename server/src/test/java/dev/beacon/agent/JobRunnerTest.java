package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRunnerTest {
    @TempDir
    Path tmp;
    JobRunner runner;

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    static JsonNode json(String text) throws Exception {
        return AgentJson.JSON.readTree(text);
    }

    JobResult run(Map<String, HandlerConfig> handlers, JobAssignment job) throws Exception {
        runner = new JobRunner(handlers);
        CompletableFuture<JobResult> result = new CompletableFuture<>();
        assertThat(runner.submit(job, () -> { }, result::complete)).isInstanceOf(JobRunner.Submission.Accepted.class);
        return result.get(20, TimeUnit.SECONDS);
    }

    @Test
    void advertises_the_built_ins_and_every_configured_kind() {
        assertThat(JobRunner.capabilities(Map.of("backup", new HandlerConfig(List.of("/bin/true"), null))))
                .containsExactly("echo", "sleep", "backup");
    }

    @Test
    void echo_returns_the_payload_itself() throws Exception {
        JobResult result = run(Map.of(), new JobAssignment("j1", "echo", json("{\"a\":[1,\"two\"]}"), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(result.output()).isEqualTo(json("{\"a\":[1,\"two\"]}"));
    }

    @Test
    void sleep_succeeds_after_the_seconds_it_was_given() throws Exception {
        long start = System.nanoTime();

        JobResult result = run(Map.of(), new JobAssignment("j1", "sleep", json("{\"seconds\":0.3}"), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void sleep_longer_than_the_timeout_times_out() throws Exception {
        JobResult result = run(Map.of(), new JobAssignment("j1", "sleep", json("{\"seconds\":30}"), 1, null));

        assertThat(result.status()).isEqualTo(JobStatus.TIMED_OUT);
        assertThat(result.error()).contains("timed out after 1 s");
    }

    @Test
    void sleep_without_seconds_fails_saying_what_it_needs() throws Exception {
        JobResult result = run(Map.of(), new JobAssignment("j1", "sleep", json("{\"minutes\":1}"), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.FAILED);
        assertThat(result.error()).contains("{\"seconds\": 5}");
    }

    @Test
    void a_command_gets_the_payload_on_stdin_verbatim_and_no_shell_ever_sees_it() throws Exception {
        Path marker = tmp.resolve("pwned");
        String payload = "{\"name\":\"$(touch " + marker + ")\",\"semi\":\"; rm -rf /\",\"q\":\"'\\\"`\"}";

        JobResult result = run(Map.of("cat", new HandlerConfig(List.of("cat"), null)),
                new JobAssignment("j1", "cat", json(payload), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(result.exitCode()).isZero();
        assertThat(json(result.output().asText())).isEqualTo(json(payload));
        assertThat(marker).doesNotExist();
    }

    @Test
    void a_command_exiting_non_zero_fails_with_its_exit_code_and_stderr() throws Exception {
        JobResult result = run(Map.of("fail", new HandlerConfig(List.of("sh", "-c", "echo partial; echo broken >&2; exit 7"), null)),
                new JobAssignment("j1", "fail", NullNode.getInstance(), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.FAILED);
        assertThat(result.exitCode()).isEqualTo(7);
        assertThat(result.output().asText()).isEqualTo("partial\n");
        assertThat(result.error()).isEqualTo("exited with code 7: broken");
    }

    @Test
    void a_command_that_cannot_start_fails_saying_so() throws Exception {
        JobResult result = run(Map.of("gone", new HandlerConfig(List.of(tmp.resolve("missing").toString()), null)),
                new JobAssignment("j1", "gone", NullNode.getInstance(), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.FAILED);
        assertThat(result.error()).startsWith("could not start " + tmp.resolve("missing"));
    }

    @Test
    void output_is_capped_at_64_kib() throws Exception {
        JobResult result = run(Map.of("seq", new HandlerConfig(List.of("seq", "1", "200000"), null)),
                new JobAssignment("j1", "seq", NullNode.getInstance(), null, null));

        assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(result.output().asText()).hasSize(64 * 1024).startsWith("1\n2\n3\n");
    }

    @Test
    void a_timeout_kills_the_whole_process_tree() throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        // The handler starts a grandchild and waits: both must die when the handler's timeout fires.
        HandlerConfig handler = new HandlerConfig(List.of("sh", "-c", "sleep 300 & echo $! > " + pidFile + "; wait"), 1);

        JobResult result = run(Map.of("tree", handler), new JobAssignment("j1", "tree", NullNode.getInstance(), 60, null));

        assertThat(result.status()).isEqualTo(JobStatus.TIMED_OUT);
        long grandchild = Long.parseLong(Files.readString(pidFile).strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(grandchild).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void cancel_kills_the_command_and_reports_cancelled() throws Exception {
        Path pidFile = tmp.resolve("long.pid");
        runner = new JobRunner(Map.of("long", new HandlerConfig(List.of("sh", "-c", "echo $$ > " + pidFile + "; exec sleep 300"), null)));
        CompletableFuture<JobResult> result = new CompletableFuture<>();
        runner.submit(new JobAssignment("j9", "long", NullNode.getInstance(), null, null), () -> { }, result::complete);
        await().atMost(Duration.ofSeconds(5)).until(() -> runner.currentJobId().isPresent());
        // The command is running once it wrote its pid (not after a fixed sleep it might not have started within).
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long pid = Long.parseLong(Files.readString(pidFile).strip());

        assertThat(runner.cancel("other")).isFalse();
        assertThat(runner.cancel("j9")).isTrue();

        JobResult ended = result.get(10, TimeUnit.SECONDS);
        assertThat(ended.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(runner.currentJobId()).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void the_stricter_of_job_and_handler_timeouts_applies() {
        assertThat(JobRunner.effectiveTimeout(60, 10)).isEqualTo(Duration.ofSeconds(10));
        assertThat(JobRunner.effectiveTimeout(5, 10)).isEqualTo(Duration.ofSeconds(5));
        assertThat(JobRunner.effectiveTimeout(null, 10)).isEqualTo(Duration.ofSeconds(10));
        assertThat(JobRunner.effectiveTimeout(0, null)).isNull();
    }
}
