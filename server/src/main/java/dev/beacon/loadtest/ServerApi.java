package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The few API calls a load scenario makes to set itself up. With several servers (nodes on one database), the calls
 * go to them in turn. Thread-safe.
 */
final class ServerApi {
    private final HttpClient client;
    private final ObjectMapper json;
    private final List<URI> servers;
    private final String apiKey;
    private final AtomicInteger turn = new AtomicInteger();

    ServerApi(HttpClient client, ObjectMapper json, List<URI> servers, String apiKey) {
        this.client = client;
        this.json = json;
        this.servers = List.copyOf(servers);
        this.apiKey = apiKey;
    }

    /** The server the next call goes to: each in turn. */
    URI next() {
        return servers.get(Math.floorMod(turn.getAndIncrement(), servers.size()));
    }

    /** Creates a site, a fleet and an enrollment key with {@code maxUses} uses; returns the raw key. */
    String freshEnrollmentKey(String scenario, int maxUses) throws IOException, InterruptedException {
        String run = scenario + "-" + UUID.randomUUID().toString().substring(0, 8);
        String siteId = post("/api/sites", "{\"name\":\"" + run + "\"}", true).get("id").asText();
        String fleetId = post("/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"" + run + "\"}", true).get("id").asText();
        return post("/api/enrollment-keys", "{\"site_id\":\"" + siteId + "\",\"fleet_id\":\"" + fleetId + "\",\"name\":\"" + run
                + "\",\"max_uses\":" + Math.max(maxUses, 1) + ",\"expires_in_hours\":1}", true).get("key_value").asText();
    }

    /**
     * Enrolls {@code count} robots with unique names on a fresh key, 16 claims in flight; returns their tokens
     * (fewer when some claims failed; each failure is printed on {@code out}).
     */
    java.util.List<String> enrollRobots(String scenario, int count, java.io.PrintWriter out) throws IOException, InterruptedException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String key = freshEnrollmentKey(scenario, count);
        java.util.List<String> tokens = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<Thread> workers = new java.util.ArrayList<>();
        for (int w = 0; w < 16; w++) {
            workers.add(Thread.ofPlatform().start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count) {
                    try {
                        tokens.add(post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"" + scenario + "-" + run + "-" + i
                                + "\",\"capabilities\":[\"echo\"]}", false).get("robot_token").asText());
                    } catch (IOException e) {
                        out.println("enroll failed: " + e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return tokens;
    }

    /** POSTs JSON, with the API key when {@code authenticated}; any non-2xx answer is an IOException. */
    JsonNode post(String path, String body, boolean authenticated) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(next().resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authenticated) {
            request.header("X-Beacon-API-Key", apiKey);
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("POST " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return json.readTree(response.body());
    }
}
