package dev.beacon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    void signals_name_their_kind_and_carry_ids_only() throws Exception {
        assertThat(JSON.writeValueAsString(new Signal.JobCancel("org_1", "job_1")))
                .isEqualTo("{\"k\":\"job_cancel\",\"org_id\":\"org_1\",\"job_id\":\"job_1\"}");
        assertThatThrownBy(() -> new Signal.RobotsRevoked(IntStream.range(0, Signal.MAX_ROBOT_IDS + 1).mapToObj(i -> "rob_" + i).toList()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
