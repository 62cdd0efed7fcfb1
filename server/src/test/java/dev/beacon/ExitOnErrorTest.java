package dev.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An Error nobody catches ends a Beacon process with a non-zero code instead of leaving it alive and idle. */
class ExitOnErrorTest {

    @Test
    void an_uncaught_error_in_any_thread_is_logged_and_ends_the_process_with_code_70() throws Exception {
        Process process = probe("policy");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("process ended").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).isEqualTo(ExitOnError.EXIT_CODE);
        assertThat(output).contains("FATAL: uncaught error in thread worker: java.lang.NoClassDefFoundError: dev/beacon/Gone");
    }

    @Test
    void without_the_policy_the_same_process_would_live_on_as_a_zombie() throws Exception {
        Process process = probe("none");
        try {
            assertThat(process.waitFor(3, TimeUnit.SECONDS)).as("process ended").isFalse();
        } finally {
            process.destroyForcibly();
            process.waitFor(15, TimeUnit.SECONDS);
        }
    }

    private static Process probe(String mode) throws Exception {
        return new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                ExitOnErrorProbe.class.getName(), mode)).redirectErrorStream(true).start();
    }
}
