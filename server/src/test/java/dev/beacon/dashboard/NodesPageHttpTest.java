package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * The Nodes page and the node holding each machine, over plain HTTP on both databases, with one node: an admin sees
 * this node alive with its agents, everyone else is refused as on {@code GET /api/cluster/nodes}, the header links to
 * the page on PostgreSQL only, and machine rows name no node while only one is alive. {@link DashboardAcrossNodesTest}
 * covers several nodes.
 */
@BeaconTest
class NodesPageHttpTest {
    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void an_admin_sees_this_node_alive_with_its_agents_and_the_count_updates_live() throws Exception {
        JsonNode node = server.get("/api/cluster/nodes", server.adminKey()).json().get("items").get(0);
        String name = node.get("name").asText();
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "node-bot").json();
        try (DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            String page = admin.page("/nodes");
            assertThat(page).contains("<h1>Nodes</h1>", "data-node=\"" + name + "\"", node.get("url").asText(), "this node",
                    "data-status=\"alive\"", "data-agents=\"0\"", "1 node · 1 alive · 0 machines connected");
            assertThat(page).contains("id=\"nodes-list\" data-live=\"nodes\" data-src=\"/fragments/nodes\"");
            if (backend == Backend.SQLITE) {
                assertThat(page).contains("it is the only node").doesNotContain("href=\"/nodes\"");
                assertThat(admin.page("/")).doesNotContain("href=\"/nodes\"");
            } else {
                assertThat(page).contains("href=\"/nodes\" aria-current=\"page\">Nodes</a>").doesNotContain("it is the only node");
                assertThat(admin.page("/")).contains("href=\"/nodes\"");
            }

            admin.watch();
            try (RawAgentSocket agent = RawAgentSocket.connect(server.baseUrl(), enrolled.get("robot_token").asText())) {
                agent.hello().next("welcome");
                assertThat(admin.nextEventWithin(Duration.ofSeconds(15), Set.of("nodes"))).isEqualTo("nodes");
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(admin.page("/fragments/nodes"))
                        .startsWith("<div id=\"nodes-list\"").contains("data-agents=\"1\"", "1 machine connected"));
            }
        }
    }

    @Test
    void operators_and_viewers_are_refused_the_nodes_page_and_see_no_link() throws Exception {
        for (String role : new String[] {"operator", "viewer"}) {
            var created = TestServer.runCliWithStdin(role + "-password\n", "admin", "user", "create", "--username", role + "-user",
                    "--role", role, "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
            assertThat(created.exitCode()).as(created.err()).isZero();
            try (DashboardSession user = DashboardSession.signIn(server.baseUrl(), role + "-user", role + "-password")) {
                var page = user.get("/nodes");
                assertThat(page.statusCode()).as(role).isEqualTo(403);
                assertThat(page.body()).contains("Only admins of default can do this");
                assertThat(user.get("/fragments/nodes").statusCode()).as(role).isEqualTo(403);
                assertThat(user.page("/")).doesNotContain("href=\"/nodes\"");
            }
        }
    }

    @Test
    void with_one_node_alive_machines_name_no_node() throws Exception {
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), "single-bot").json();
        String robotId = enrolled.get("robot_id").asText();
        try (DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password");
             RawAgentSocket agent = RawAgentSocket.connect(server.baseUrl(), enrolled.get("robot_token").asText())) {
            agent.hello().next("welcome");
            String machines = admin.page("/fragments/machines");
            assertThat(machines).contains("data-machine=\"single-bot\"", "data-status=\"online\"")
                    .doesNotContain(">Node</th>");
            assertThat(admin.page("/machines/" + robotId)).contains("· connected</span>").doesNotContain("connected via");
        }
    }
}
