package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node dies and its agent comes back through the next URL of its list: two servers on one PostgreSQL database,
 * started one after the other (node A, then node B once A is gone), since a robot token belongs to a database.
 */
class NodeFailoverTest {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;
    String databaseUrl;
    BeaconServer nodeA;
    BeaconServer nodeB;
    AgentConnection agent;

    @AfterEach
    void stopAll() {
        if (agent != null) {
            agent.stop();
        }
        for (BeaconServer node : new BeaconServer[] {nodeA, nodeB}) {
            if (node != null) {
                node.close();
            }
        }
        Backend.dropDatabase(databaseUrl);
    }

    ServerConfig node(int port) {
        // Both nodes share the data dir, and with it the secret key, as the nodes of one control plane must.
        return ServerConfig.defaults(tmp).withPort(port).withDatabaseUrl(databaseUrl)
                .withAdminPassword("test-password").withRefusalsPerMinute(10_000);
    }

    static JsonNode post(String url, String body, String apiKey) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").header("X-Beacon-API-Key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
        return TestServer.JSON.readTree(response.body());
    }

    static String robotStatus(BeaconServer node, String robotId, String apiKey) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/robots/" + robotId))
                .header("X-Beacon-API-Key", apiKey).GET().build(), HttpResponse.BodyHandlers.ofString());
        return TestServer.JSON.readTree(response.body()).path("status").asText();
    }

    @Test
    void an_agent_whose_node_dies_comes_back_online_through_the_next_node_on_the_same_database() throws Exception {
        databaseUrl = Backend.POSTGRESQL.createDatabase(tmp);
        nodeA = BeaconServer.start(node(0));
        int portB = EnrollClientTest.closedPort(); // node B will listen here once A is gone
        String urlB = "http://127.0.0.1:" + portB;
        TestServer.CliResult created = TestServer.runCli("admin", "api-key", "create", "--name", "failover", "--scope",
                "admin", "--data-dir", tmp.toString(), "--database-url", databaseUrl);
        assertThat(created.exitCode()).as(created.err()).isZero();
        String adminKey = created.out().strip().lines().reduce((first, last) -> last).orElseThrow().strip();
        String siteId = post(nodeA.baseUrl() + "/api/sites", "{\"name\":\"s\"}", adminKey).path("id").asText();
        String fleetId = post(nodeA.baseUrl() + "/api/fleets", "{\"site_id\":\"" + siteId + "\",\"name\":\"f\"}", adminKey)
                .path("id").asText();
        String key = post(nodeA.baseUrl() + "/api/enrollment-keys", "{\"site_id\":\"" + siteId + "\",\"fleet_id\":\""
                + fleetId + "\",\"name\":\"k\",\"max_uses\":1}", adminKey).path("key_value").asText();
        Path file = tmp.resolve("agent.toml");
        AgentCli.Result enrolled = AgentCli.withStdin(key + "\n", "enroll", "--server", nodeA.baseUrl(), "--server", urlB,
                "--name", "node-failover-bot", "--config", file.toString(), "--no-start");
        assertThat(enrolled.exitCode()).as(enrolled.err()).isZero();
        AgentConfig saved = AgentConfigFile.at(file).read().orElseThrow();
        assertThat(saved.servers()).containsExactly(nodeA.baseUrl(), urlB);

        agent = AgentConnection.start(saved, AgentConfigFile.at(file), AgentConnectionTest.FAST);
        assertThat(agent.awaitConnected(Duration.ofSeconds(10))).isTrue();
        assertThat(agent.connectedServer()).contains(nodeA.baseUrl());
        String firstSession = agent.sessionId().orElseThrow();

        nodeA.close();
        nodeA = null;
        nodeB = BeaconServer.start(node(portB));

        await().atMost(Duration.ofSeconds(30)).until(() -> agent.connectedServer().equals(Optional.of(urlB)));
        assertThat(agent.sessionId()).isPresent().isNotEqualTo(Optional.of(firstSession));
        await().atMost(Duration.ofSeconds(10)).until(() -> robotStatus(nodeB, saved.robotId(), adminKey).equals("online"));
        assertThat(agent.exitCode()).isEmpty();
        assertThat(AgentConfigFile.at(file).read().orElseThrow().servers()).isEqualTo(saved.servers());
    }
}
