package dev.beacon.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import dev.beacon.protocol.FrameException;
import dev.beacon.web.JsonInput;
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
 * The codec's share of a heartbeat on the server, the frame every agent sends every interval: read the frame, write
 * its ack. {@code plain*} is the path the server takes ({@link FrameCodec#plainHeartbeat} and
 * {@link FrameCodec#writeHeartbeatAck}); {@code tree*} is the general path it took before (and still takes for a
 * heartbeat with anything odd about it), kept to compare. The codec uses the server's limited mapper.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HeartbeatBenchmark {
    /** What the agent sends (agent/AgentSession): an ISO-8601 instant. */
    private static final String HEARTBEAT = "{\"type\":\"heartbeat\",\"sent_at\":\"2026-12-02T16:45:04.123Z\"}";

    private final FrameCodec codec = new FrameCodec(JsonInput.limited(new ObjectMapper()));

    /** Read and answer a heartbeat as the server does now. */
    @Benchmark
    public String plainHeartbeatAndAck() {
        Frame.Heartbeat beat = codec.plainHeartbeat(HEARTBEAT);
        return codec.writeHeartbeatAck(beat.sentAt());
    }

    @Benchmark
    public Frame.Heartbeat plainRead() {
        return codec.plainHeartbeat(HEARTBEAT);
    }

    @Benchmark
    public String plainAck() {
        return codec.writeHeartbeatAck("2026-12-02T16:45:04.123Z");
    }

    /** Read and answer a heartbeat through the tree, as the server did before. */
    @Benchmark
    public String treeHeartbeatAndAck() throws FrameException {
        Frame.Heartbeat beat = (Frame.Heartbeat) codec.decode(codec.envelope(HEARTBEAT));
        return codec.write(new Frame.HeartbeatAck(beat.sentAt()));
    }
}
