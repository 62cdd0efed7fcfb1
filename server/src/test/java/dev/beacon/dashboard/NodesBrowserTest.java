package dev.beacon.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.cluster.NodeSettings;
import dev.beacon.server.BeaconServer;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Nodes page and the node holding each machine in a real browser (Debian's Chromium), on a dashboard served by
 * node B of two nodes on one PostgreSQL database, while an agent connects to node A: the page changes without a
 * reload. The screenshot {@code nodes} comes from here.
 */
class NodesBrowserTest {
    private static final String GREEN = "rgb(22, 163, 74)";
    private static final String GRAY = "rgb(156, 163, 175)";

    private BrowserHarness browser;
    private TestServer nodeA;
    private BeaconServer nodeB;
    private BrowserContext context;

    @BeforeEach
    void start() {
        browser = BrowserHarness.launch();
        nodeA = TestServer.start(Backend.POSTGRESQL, config -> config.withNode(NodeSettings.defaults().withName("node-a")));
        nodeB = nodeA.startAnotherNode(config -> config.withNode(NodeSettings.defaults().withName("node-b")));
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
    }

    @AfterEach
    void stop() {
        if (context != null) {
            context.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
        if (nodeA != null) {
            nodeA.close();
        }
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void anAdminOnNodeBWatchesAnAgentArriveOnNodeAWithoutAReload() throws Exception {
        JsonNode enrolled = nodeA.claim(nodeA.enrollmentKey(1).get("key_value").asText(), "far-bot").json();
        Page page = signIn();
        page.locator("nav[aria-label='Main']").getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("Nodes")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Nodes").setExact(true))).isVisible();
        PlaywrightAssertions.assertThat(page.locator("#live-status")).hasAttribute("data-state", "live");
        PlaywrightAssertions.assertThat(page.locator("tr[data-node='node-b'] th")).containsText("this node");
        PlaywrightAssertions.assertThat(page.locator("tr[data-node='node-a'] [data-status]")).hasText("Alive");
        PlaywrightAssertions.assertThat(page.locator("tr[data-node='node-a'] .dot")).hasCSS("background-color", GREEN);
        PlaywrightAssertions.assertThat(page.locator("tr[data-node='node-a'] td[data-agents]")).hasText("0");
        page.evaluate("window.__beaconMark = 'still-here'");

        try (RawAgentSocket agent = RawAgentSocket.connect(nodeA.baseUrl(), enrolled.get("robot_token").asText())) {
            agent.hello().next("welcome");
            PlaywrightAssertions.assertThat(page.locator("tr[data-node='node-a'] td[data-agents]")).hasText("1");
            PlaywrightAssertions.assertThat(page.locator("[data-figure='nodes-summary']")).containsText("2 nodes · 2 alive · 1 machine connected");
            org.assertj.core.api.Assertions.assertThat(page.evaluate("window.__beaconMark")).isEqualTo("still-here");
            BrowserHarness.screenshot(page, "nodes");

            page.navigate("/machines");
            PlaywrightAssertions.assertThat(page.locator("#machines-list thead")).containsText("Node");
            PlaywrightAssertions.assertThat(page.locator("tr[data-machine='far-bot'] td[data-node]")).hasText("node-a");
            PlaywrightAssertions.assertThat(page.locator("tr[data-machine='far-bot'] .dot")).hasCSS("background-color", GREEN);
            page.evaluate("window.__beaconMark = 'still-here'");
        }
        // The agent left node A: the row on node B's page turns gray and names no node, without a reload.
        PlaywrightAssertions.assertThat(page.locator("tr[data-machine='far-bot'] .dot")).hasCSS("background-color", GRAY);
        PlaywrightAssertions.assertThat(page.locator("tr[data-machine='far-bot'] td").last()).hasText("—");
        org.assertj.core.api.Assertions.assertThat(page.evaluate("window.__beaconMark")).isEqualTo("still-here");
    }

    private Page signIn() {
        context = browser.context(nodeB.baseUrl());
        Page page = context.newPage();
        page.navigate("/login");
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password").fill("test-password");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        return page;
    }
}
