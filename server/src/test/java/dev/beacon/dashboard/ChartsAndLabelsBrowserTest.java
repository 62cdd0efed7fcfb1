package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The queue charts and a machine's labels card in a real browser (Debian's Chromium) on a phone-sized window
 * (390 px): the charts fit, their numbers open, and an admin sets and removes a label with the card's form.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartsAndLabelsBrowserTest {
    private TestServer server;
    private BrowserHarness browser;
    private String robotId;

    @BeforeAll
    void start() {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE);
        String key = server.enrollmentKey(5).get("key_value").asText();
        robotId = server.post("/api/enroll", "{\"enrollment_key\":\"" + key + "\",\"name\":\"phone-bot\",\"labels\":{\"zone\":\"a\"}}", null)
                .json().get("robot_id").asText();
        // A job no machine can run yet: the queue chart has a bar.
        assertThat(server.post("/api/jobs", "{\"kind\":\"echo\"}", server.adminKey()).status()).isEqualTo(202);
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void on_a_phone_the_charts_fit_and_a_label_is_set_and_removed() {
        try (BrowserContext context = browser.context(server.baseUrl(), 390, 844)) {
            Page page = context.newPage();
            page.navigate("/login");
            page.getByLabel("Username").fill("admin");
            page.getByLabel("Password").fill("test-password");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
            PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();

            PlaywrightAssertions.assertThat(page.getByRole(AriaRole.IMG, new Page.GetByRoleOptions().setName("Jobs queued, last hour")))
                    .isVisible();
            double chartWidth = ((Number) page.locator("#queue-chart-hour svg.chart").first().evaluate("e => e.getBoundingClientRect().right"))
                    .doubleValue();
            assertThat(chartWidth).isLessThanOrEqualTo(390);
            page.getByText("Last hour in numbers").click();
            PlaywrightAssertions.assertThat(page.locator("#queue-chart-hour table")).isVisible();
            // A live refresh of Queue Status (a second job queued) keeps the numbers open.
            assertThat(server.post("/api/jobs", "{\"kind\":\"echo\"}", server.adminKey()).status()).isEqualTo(202);
            PlaywrightAssertions.assertThat(page.locator("[data-figure=jobs-queued]")).hasText("2");
            PlaywrightAssertions.assertThat(page.locator("#queue-chart-hour table")).isVisible();
            assertNoSidewaysScrolling(page);
            BrowserHarness.screenshot(page, "queue-charts-390");

            page.navigate("/machines/" + robotId);
            page.getByLabel("Key", new Page.GetByLabelOptions().setExact(true)).fill("rack");
            page.getByLabel("Value", new Page.GetByLabelOptions().setExact(true)).fill("7");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Set label")).click();
            PlaywrightAssertions.assertThat(page.locator("#machine-labels .chip", new Page.LocatorOptions().setHasText("rack=7"))).isVisible();
            assertNoSidewaysScrolling(page);
            BrowserHarness.screenshot(page, "machine-labels-390");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Remove label rack")).click();
            PlaywrightAssertions.assertThat(page.locator("#machine-labels .chip", new Page.LocatorOptions().setHasText("rack=7"))).hasCount(0);
            assertThat(server.get("/api/robots/" + robotId, server.adminKey()).json().get("operator_labels").toString()).isEqualTo("{}");

            page.navigate("/sites");
            assertNoSidewaysScrolling(page);
        }
    }

    private static void assertNoSidewaysScrolling(Page page) {
        int overflow = ((Number) page.evaluate("document.documentElement.scrollWidth - window.innerWidth")).intValue();
        Object culprits = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
                + "window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest('.table-wrap'))).slice(0, 5)"
                + ".map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().width))");
        assertThat(overflow).as(page.url() + ": no sideways scrolling of the whole page; too wide: " + culprits).isLessThanOrEqualTo(0);
    }
}
