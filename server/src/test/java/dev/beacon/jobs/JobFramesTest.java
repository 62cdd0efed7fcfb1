package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.protocol.Frame;
import dev.beacon.protocol.FrameCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job frames the server sends, as they appear on the wire, and what a result becomes for the queue. */
class JobFramesTest {
    private final FrameCodec frames = new FrameCodec(new ObjectMapper());

    @Test
    void job_assign_carries_the_job_its_payload_timeout_and_attempt_in_wire_order() {
        Job queued = Slots.job("job_1", "echo", 0, 30, 2);
        ((ObjectNode) queued.payload()).put("text", "hi");
        Slot slot = Slots.slot("rob_1", List.of("echo"));
        Job job = DispatchRound.assigned(queued, slot.robotId, slot.sessionId, Slots.T0);
        assertThat(frames.write(JobFrames.assign(job)))
                .isEqualTo("{\"type\":\"job.assign\",\"job_id\":\"job_1\",\"kind\":\"echo\",\"payload\":{\"text\":\"hi\"},\"timeout_s\":30,\"attempt\":1}");
    }

    @Test
    void job_cancel_names_the_job() {
        assertThat(frames.write(JobFrames.cancel("job_1"))).isEqualTo("{\"type\":\"job.cancel\",\"job_id\":\"job_1\"}");
    }

    @Test
    void a_result_keeps_its_status_output_and_exit_code() {
        var output = JsonNodeFactory.instance.objectNode().put("lines", 3);
        Transition.Event.Result result = JobFrames.result(new Frame.JobResult("job_1", "failed", output, 2, "boom"));
        assertThat(result).isEqualTo(new Transition.Event.Result(JobStatus.FAILED, output, 2, "boom"));
    }

    @Test
    void a_result_error_longer_than_the_limit_is_cut_and_marked() {
        String error = "e".repeat(JobFrames.MAX_ERROR + 10);
        Transition.Event.Result result = JobFrames.result(new Frame.JobResult("job_1", "failed", null, null, error));
        assertThat(result.error()).hasSize(JobFrames.MAX_ERROR + 1).endsWith("e…");
        assertThat(JobFrames.result(new Frame.JobResult("job_1", "failed", null, null, "e".repeat(JobFrames.MAX_ERROR))).error())
                .hasSize(JobFrames.MAX_ERROR);
    }
}
