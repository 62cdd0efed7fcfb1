package dev.beacon.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark of this module once, briefly and in this JVM: a smoke test that they still build, set up,
 * run and tear down against the current code. Its figures mean nothing; real runs use target/benchmarks.jar.
 */
class BenchmarksSmokeTest {
    @Test
    void everyBenchmarkRunsAndMeasuresSomething() throws RunnerException {
        Options options = new OptionsBuilder()
                .include("dev\\.beacon\\..*Benchmark\\..*")
                .forks(0)
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        assertThat(results).as("benchmarks found and run").isNotEmpty();
        assertThat(results).allSatisfy(result -> assertThat(result.getPrimaryResult().getScore())
                .as(result.getParams().getBenchmark()).isPositive());
    }
}
