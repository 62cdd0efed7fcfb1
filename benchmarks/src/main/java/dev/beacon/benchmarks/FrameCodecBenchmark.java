package dev.beacon.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading and writing agent frames with the general codec, the path every frame but a heartbeat takes: a
 * {@code job.result} in (envelope, then decode) and a {@code job.assign} out.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameCodecBenchmark {
    private static final String RESULT = "{\"type\":\"job.result\",\"job_id\":\"job_01JD8W3K5N6P7Q8R9S0T1V2W3X\","
            + "\"status\":\"succeeded\",\"output\":{\"stdout\":\"hello\\n\"},\"exit_code\":0}";

    private final ObjectMapper json = new ObjectMapper();
    private final FrameCodec codec = new FrameCodec(json);
    private final Frame.JobAssign assign = new Frame.JobAssign("job_01JD8W3K5N6P7Q8R9S0T1V2W3X", "echo",
            json.createObjectNode().put("message", "hello"), 60, 1);

    @Benchmark
    public Frame readJobResult() throws FrameException {
        return codec.read(RESULT);
    }

    @Benchmark
    public String writeJobAssign() {
        return codec.write(assign);
    }
}
