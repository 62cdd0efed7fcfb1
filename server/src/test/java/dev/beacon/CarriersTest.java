package dev.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** On one CPU, a long SQLite statement on one virtual thread does not hold up the others (Main's carrier floor). */
class CarriersTest {

    @Test
    void with_the_floor_a_long_native_statement_leaves_other_virtual_threads_running() throws Exception {
        assertThat(probe("floor")).isEqualTo("answered");
    }

    @Test
    void without_it_one_cpu_means_one_carrier_and_everything_waits_for_the_statement() throws Exception {
        assertThat(probe("none")).isEqualTo("starved");
    }

    private static String probe(String mode) throws Exception {
        Process process = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:ActiveProcessorCount=1", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CarrierProbe.class.getName(), mode)).redirectErrorStream(true).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("probe ended").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        return output.lines().filter(line -> line.equals("answered") || line.equals("starved")).findFirst().orElse(output);
    }
}
