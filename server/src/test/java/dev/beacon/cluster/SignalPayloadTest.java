package dev.beacon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.Frame;
import dev.beacon.server.BeaconServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How signals are packed into NOTIFY payloads and read back; no database needed. Runs on JUnit's thread. */
class SignalPayloadTest {
    private static final ObjectMapper JSON = BeaconServer.objectMapper();

    @Test
    void a_large_batch_is_split_into_payloads_under_the_limit_and_every_signal_survives_the_trip() throws Exception {
        SignalSender sender = new SignalSender("jdbc:postgresql://unused/none", "node_a", JSON);
        Set<Signal> batch = new LinkedHashSet<>();
        IntStream.range(0, 500).forEach(i -> batch.add(new Signal.JobReady("org_" + "x".repeat(20) + i)));
        for (int from = 0; from < 450; from += Signal.MAX_ROBOT_IDS) {
            int start = from;
            batch.add(new Signal.RobotsRevoked(IntStream.range(start, start + Signal.MAX_ROBOT_IDS).mapToObj(i -> "rob_" + i).toList()));
        }
        batch.add(new Signal.RotationAnswered("req-1", "node_b", "SENT"));

        List<String> payloads = sender.payloads(batch);

        assertThat(payloads).hasSizeGreaterThan(1);
        List<Signal> back = new ArrayList<>();
        for (String payload : payloads) {
            assertThat(payload.getBytes(StandardCharsets.UTF_8).length).isLessThan(SignalSender.MAX_PAYLOAD_BYTES + 1);
            JsonNode parsed = JSON.readTree(payload);
            assertThat(parsed.get("node").asText()).isEqualTo("node_a");
            for (JsonNode signal : parsed.get("signals")) {
                back.add(JSON.treeToValue(signal, Signal.class));
            }
        }
        assertThat(back).containsExactlyElementsOf(batch);
    }

    @Test
    void a_field_a_later_release_adds_to_a_signal_is_ignored() throws Exception {
        Signal read = JSON.readValue("{\"k\":\"job_cancel\",\"org_id\":\"org_1\",\"job_id\":\"job_1\",\"reason\":\"new\"}", Signal.class);

        assertThat(read).isEqualTo(new Signal.JobCancel("org_1", "job_1"));
    }

    @Test
    void a_handover_carries_its_job_beside_the_signals_which_keep_the_fields_an_older_node_reads() throws Exception {
        SignalSender sender = new SignalSender("jdbc:postgresql://unused/none", "node_a", JSON);
        Signal.JobHandover small = handover("job_small", JSON.createObjectNode().put("x", "é".repeat(100)));
        Signal.JobHandover large = handover("job_large", JSON.createObjectNode().put("x", "y".repeat(SignalSender.MAX_CARRIED_BYTES)));
        Signal.JobHandover bare = new Signal.JobHandover("node_b", "org_1", "job_bare", "rob_1", "ses_1", null);

        List<String> payloads = sender.payloads(new LinkedHashSet<>(List.of(small, large, bare)));

        assertThat(payloads).hasSize(1);
        JsonNode parsed = JSON.readTree(payloads.get(0));
        for (JsonNode signal : parsed.get("signals")) {
            // The previous release refuses unknown fields: a handover's signal has only the ones it knows.
            assertThat(signal.properties()).extracting(java.util.Map.Entry::getKey)
                    .containsExactly("k", "to_node", "org_id", "job_id", "robot_id", "session_id");
        }
        assertThat(parsed.get("assigns")).hasSize(1);
        assertThat(listener().signals(parsed)).containsExactly(small, large.carrying(null), bare);
    }

    @Test
    void handovers_carrying_their_jobs_are_split_so_each_job_travels_with_its_signal_under_the_limit() throws Exception {
        SignalSender sender = new SignalSender("jdbc:postgresql://unused/none", "node_a", JSON);
        Set<Signal> batch = new LinkedHashSet<>();
        IntStream.range(0, 20).forEach(i -> batch.add(handover("job_" + i, JSON.createObjectNode().put("x", "z".repeat(1_000 * (i % 4))))));
        batch.add(new Signal.JobReady("org_1"));

        List<String> payloads = sender.payloads(batch);

        List<Signal> back = new ArrayList<>();
        for (String payload : payloads) {
            assertThat(payload.getBytes(StandardCharsets.UTF_8).length).isLessThan(SignalSender.MAX_PAYLOAD_BYTES + 1);
            back.addAll(listener().signals(JSON.readTree(payload)));
        }
        assertThat(payloads).hasSizeGreaterThan(3);
        assertThat(back).containsExactlyElementsOf(batch);
    }

    @Test
    void signals_name_their_kind_and_carry_ids_only() throws Exception {
        assertThat(JSON.writeValueAsString(new Signal.JobCancel("org_1", "job_1")))
                .isEqualTo("{\"k\":\"job_cancel\",\"org_id\":\"org_1\",\"job_id\":\"job_1\"}");
        assertThatThrownBy(() -> new Signal.RobotsRevoked(IntStream.range(0, Signal.MAX_ROBOT_IDS + 1).mapToObj(i -> "rob_" + i).toList()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Signal.JobHandover handover(String jobId, JsonNode payload) {
        return new Signal.JobHandover("node_b", "org_1", jobId, "rob_1", "ses_1", new Frame.JobAssign(jobId, "echo", payload, 60, 1));
    }

    private static SignalListener listener() {
        return new SignalListener("jdbc:postgresql://unused/none", "node_b", JSON, signal -> { }, () -> { });
    }
}
