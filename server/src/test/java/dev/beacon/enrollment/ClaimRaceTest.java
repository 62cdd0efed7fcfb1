package dev.beacon.enrollment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

@BeaconTest
class ClaimRaceTest {
    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void sixty_racing_claims_on_a_key_with_ten_uses_make_exactly_ten_robots() throws Exception {
        JsonNode key = server.enrollmentKey(10);
        String value = key.get("key_value").asText();
        int claimants = 60;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestServer.Response>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(claimants)) {
            for (int i = 0; i < claimants; i++) {
                String name = "racer-" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    return server.claim(value, name);
                }));
            }
            go.countDown();
            Map<Integer, Long> byStatus = new java.util.TreeMap<>();
            Map<String, Long> byCode = new java.util.TreeMap<>();
            for (Future<TestServer.Response> result : results) {
                TestServer.Response response = result.get();
                byStatus.merge(response.status(), 1L, Long::sum);
                if (response.status() != 201) {
                    byCode.merge(response.code(), 1L, Long::sum);
                }
            }
            assertThat(byStatus).isEqualTo(Map.of(201, 10L, 401, 50L));
            assertThat(byCode).isEqualTo(Map.of("enrollment_key_exhausted", 50L));
        }
        JsonNode after = server.get("/api/enrollment-keys/" + key.get("id").asText(), server.adminKey()).json();
        assertThat(after.get("uses").asInt()).isEqualTo(10);
        assertThat(after.get("status").asText()).isEqualTo("exhausted");
        JsonNode robots = server.get("/api/robots?fleet_id=" + key.get("fleet_id").asText(), server.adminKey()).json();
        assertThat(robots.get("items")).hasSize(10);
    }

    @Test
    void racing_claims_for_one_name_enroll_one_robot_and_spend_one_use() throws Exception {
        JsonNode key = server.enrollmentKey(50);
        String value = key.get("key_value").asText();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestServer.Response>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(20)) {
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return server.claim(value, "same-name");
                }));
            }
            go.countDown();
            long created = 0;
            for (Future<TestServer.Response> result : results) {
                TestServer.Response response = result.get();
                if (response.status() == 201) {
                    created++;
                } else {
                    assertThat(response.code()).isEqualTo("robot_name_taken");
                }
            }
            assertThat(created).isEqualTo(1);
        }
        JsonNode after = server.get("/api/enrollment-keys/" + key.get("id").asText(), server.adminKey()).json();
        assertThat(after.get("uses").asInt()).isEqualTo(1);
    }
}
