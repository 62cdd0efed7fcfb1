package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.cluster.NodeSettings;
import dev.beacon.server.BeaconServer;
import dev.beacon.testing.Backend;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two server nodes on one PostgreSQL database, in this JVM: a dashboard served by node B hears, through its own live
 * feed, about what happens through node A — a machine connecting to A, a job submitted on A, a node stopping — and
 * then shows it, with the node holding each machine. Nothing travels between the nodes but the database. Runs on
 * JUnit's thread; the live stream is read on a virtual thread.
 */
class DashboardAcrossNodesTest {
    /** Generous for a loaded machine: the live feed polls once a second. */
    private static final Duration WITHIN = Duration.ofSeconds(10);

    private TestServer nodeA;
    private BeaconServer nodeB;
    private DashboardSession onB;

    @BeforeEach
    void start() throws Exception {
        nodeA = TestServer.start(Backend.POSTGRESQL, config -> config.withNode(NodeSettings.defaults().withName("node-a")));
        nodeB = nodeA.startAnotherNode(config -> config.withNode(NodeSettings.defaults().withName("node-b")));
        onB = DashboardSession.signIn(nodeB.baseUrl(), "admin", "test-password");
    }

    @AfterEach
    void stop() {
        if (onB != null) {
            onB.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
        nodeA.close();
    }

    @Test
    void a_machine_connecting_to_node_a_shows_online_via_node_a_on_a_dashboard_served_by_node_b() throws Exception {
        JsonNode enrolled = nodeA.claim(nodeA.enrollmentKey(1).get("key_value").asText(), "far-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        onB.watch();
        onB.clearEvents(); // the enrollment may still be announced: only what follows the connection counts

        try (RawAgentSocket agent = RawAgentSocket.connect(nodeA.baseUrl(), enrolled.get("robot_token").asText())) {
            agent.hello().next("welcome");
            long connected = System.nanoTime();
            assertThat(onB.nextEventWithin(WITHIN, Set.of("machines"))).as("machines event on node B").isEqualTo("machines");
            System.out.printf("connect on node A -> machines event on node B: %d ms%n", (System.nanoTime() - connected) / 1_000_000);

            String machines = onB.page("/fragments/machines");
            assertThat(machines).contains("data-machine=\"far-bot\"", "data-status=\"online\"", "<th scope=\"col\" class=\"plain\">Node</th>",
                    "data-node=\"node-a\"");
            assertThat(onB.page("/machines/" + robotId)).contains("connected via node-a");

            // The Nodes page on B counts the agent on A.
            await().atMost(WITHIN).untilAsserted(() -> assertThat(onB.page("/fragments/nodes"))
                    .containsPattern("data-node=\"node-a\">[\\s\\S]*?data-agents=\"1\"")
                    .containsPattern("data-node=\"node-b\">\\s*<th scope=\"row\">node-b <span[^>]*>this node</span>"));
        }
        // The agent left A: B hears it and shows the machine offline, held by no node.
        assertThat(onB.nextEventWithin(WITHIN, Set.of("machines"))).isEqualTo("machines");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(onB.page("/fragments/machines"))
                .contains("data-status=\"offline\"").doesNotContain("data-node=\"node-a\""));
    }

    @Test
    void a_job_submitted_on_node_a_reaches_a_dashboard_served_by_node_b() throws Exception {
        onB.watch();
        long submitted = System.nanoTime();
        String jobId = nodeA.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":{\"n\":1}}", nodeA.adminKey()).json().get("id").asText();

        assertThat(onB.nextEventWithin(WITHIN, Set.of("jobs"))).as("jobs event on node B").isEqualTo("jobs");
        System.out.printf("submit on node A -> jobs event on node B: %d ms%n", (System.nanoTime() - submitted) / 1_000_000);
        assertThat(onB.page("/fragments/jobs")).contains(jobId);
        assertThat(onB.page("/fragments/queue")).contains("data-figure=\"jobs-queued\">1<");
    }

    @Test
    void a_node_that_starts_or_stops_shows_on_the_nodes_page_of_another_live() throws Exception {
        onB.watch();
        BeaconServer nodeC = nodeA.startAnotherNode(config -> config.withNode(NodeSettings.defaults().withName("node-c")));
        try {
            assertThat(onB.nextEventWithin(WITHIN, Set.of("nodes"))).isEqualTo("nodes");
            await().atMost(WITHIN).untilAsserted(() -> assertThat(onB.page("/fragments/nodes"))
                    .contains("data-node=\"node-a\"", "data-node=\"node-b\"", "data-node=\"node-c\"", "3 nodes · 3 alive"));
        } finally {
            nodeC.close();
        }
        onB.clearEvents();
        assertThat(onB.nextEventWithin(WITHIN, Set.of("nodes"))).isEqualTo("nodes");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(onB.page("/fragments/nodes"))
                .contains("2 nodes · 2 alive").doesNotContain("data-node=\"node-c\""));
        String page = onB.page("/nodes");
        assertThat(page).contains("href=\"/nodes\" aria-current=\"page\">Nodes</a>", "data-status=\"alive\"").doesNotContain("data-status=\"dead\"");
    }
}
