package dev.beacon.dashboard;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.FakeClock;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fleet of enrolled machines for the Machines page tests: {@code m-000}, {@code m-001}, … enrolled over the API in
 * two sites ({@code alpha} with the first {@code inAlpha}, {@code beta} with the rest); machines from {@code m-010} on
 * whose number ends in 0 carry the label {@code gpu=yes}, the others {@code zone=z0..z2}. Machines are brought online
 * with raw agent sockets that never heartbeat by themselves, so an agent "freezes" simply by staying silent. For
 * tests; not thread-safe.
 */
final class MachineFleet implements AutoCloseable {
    final TestServer server;
    final Map<String, String> ids = new LinkedHashMap<>();
    final Map<String, String> tokens = new LinkedHashMap<>();
    final Map<String, RawAgentSocket> sockets = new LinkedHashMap<>();
    /** Fleet ids by site name ({@code alpha}, {@code beta}). */
    final Map<String, String> fleetIds = new LinkedHashMap<>();

    private MachineFleet(TestServer server) {
        this.server = server;
    }

    static MachineFleet enroll(TestServer server, int count, int inAlpha) {
        MachineFleet fleet = new MachineFleet(server);
        String alpha = fleet.key("alpha", "a-fleet", inAlpha);
        String beta = fleet.key("beta", "b-fleet", Math.max(1, count - inAlpha));
        for (int i = 0; i < count; i++) {
            String name = name(i);
            String labels = hasGpu(i) ? "{\"gpu\":\"yes\"}" : "{\"zone\":\"z" + i % 3 + "\"}";
            TestServer.Response claimed = server.post("/api/enroll", "{\"enrollment_key\":\"" + (i < inAlpha ? alpha : beta)
                    + "\",\"name\":\"" + name + "\",\"hostname\":\"host-" + name + "\",\"labels\":" + labels + "}", null);
            if (claimed.status() != 201) {
                throw new IllegalStateException("enrollment of " + name + " failed: " + claimed.body());
            }
            fleet.ids.put(name, claimed.json().get("robot_id").asText());
            fleet.tokens.put(name, claimed.json().get("robot_token").asText());
        }
        return fleet;
    }

    /**
     * The fleet every machine page test uses, on a server with a 5 s heartbeat interval, {@code clock} and a fake
     * ticker: m-000..m-002 connect and go silent (unresponsive once 10 s passed); m-003 connects 11 s later (online),
     * m-004 a second after and gets a job (busy); m-005 connects and disconnects a second after that (offline);
     * m-006..m-008 are paused without ever connecting; every other machine never connected.
     */
    static MachineFleet standard(TestServer server, FakeClock clock, int count, int inAlpha) throws InterruptedException {
        MachineFleet fleet = enroll(server, count, inAlpha);
        fleet.connect("m-000");
        fleet.connect("m-001");
        fleet.connect("m-002");
        clock.advance(Duration.ofSeconds(11));
        fleet.connect("m-003");
        clock.advance(Duration.ofSeconds(1));
        fleet.connect("m-004");
        fleet.giveJob("m-004");
        clock.advance(Duration.ofSeconds(1));
        fleet.connect("m-005");
        fleet.disconnect("m-005");
        fleet.pause("m-006");
        fleet.pause("m-007");
        fleet.pause("m-008");
        return fleet;
    }

    static String name(int i) {
        return String.format("m-%03d", i);
    }

    static boolean hasGpu(int i) {
        return i >= 10 && i % 10 == 0;
    }

    private String key(String site, String fleetName, int uses) {
        String[] place = server.siteAndFleet(site, fleetName);
        fleetIds.put(site, place[1]);
        TestServer.Response created = server.post("/api/enrollment-keys", "{\"site_id\":\"" + place[0] + "\",\"fleet_id\":\"" + place[1]
                + "\",\"name\":\"" + site + "-batch\",\"max_uses\":" + uses + "}", server.adminKey());
        return created.json().get("key_value").asText();
    }

    /** Connects the machine's agent and says hello (its labels become the hello's: none); waits for the welcome. */
    RawAgentSocket connect(String name) throws InterruptedException {
        RawAgentSocket socket = RawAgentSocket.connect(server.baseUrl(), tokens.get(name));
        socket.hello().next("welcome");
        sockets.put(name, socket);
        awaitStatus(name, "online");
        return socket;
    }

    /** Closes the machine's agent socket and waits until the server has it offline. */
    void disconnect(String name) {
        sockets.remove(name).close();
        awaitStatus(name, "offline");
    }

    JsonNode robot(String name) {
        return server.get("/api/robots/" + ids.get(name), server.adminKey()).json();
    }

    void awaitStatus(String name, String status) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> status.equals(robot(name).get("status").asText()));
    }

    /** Submits an {@code echo} job to the machine and waits until it holds it (busy). */
    String giveJob(String name) {
        TestServer.Response job = server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":{},\"target\":{\"robot_id\":\""
                + ids.get(name) + "\"}}", server.adminKey());
        if (job.status() != 202) {
            throw new IllegalStateException("job submit failed: " + job.body());
        }
        awaitStatus(name, "busy");
        return job.json().get("id").asText();
    }

    void pause(String name) {
        server.post("/api/robots/" + ids.get(name) + "/pause", "{}", server.adminKey());
    }

    List<String> names() {
        return new ArrayList<>(ids.keySet());
    }

    @Override
    public void close() {
        sockets.values().forEach(RawAgentSocket::close);
        sockets.clear();
    }
}
