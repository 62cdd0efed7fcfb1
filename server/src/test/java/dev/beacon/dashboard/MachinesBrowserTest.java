package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.FakeTicker;
import dev.beacon.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Machines page in a real browser with a fleet of 210 machines, at 1440 and 390 px: bulk pause with one
 * confirmation, tabs and counts that follow the fleet live, ticks and keyboard focus that survive a live refresh, a
 * silent agent turning Unresponsive on its own, and no sideways scrolling on a phone. Agents are raw sockets that send
 * no heartbeat; the server's ticker is fake so none is disconnected for it, while its clock is real, so a silent agent
 * turns Unresponsive after two heartbeat intervals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MachinesBrowserTest {
    private static final int HEARTBEAT_S = 15;

    private TestServer server;
    private BrowserHarness browser;
    private MachineFleet fleet;
    private final List<BrowserContext> contexts = new ArrayList<>();

    @BeforeAll
    void start() {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE, config -> config.withHeartbeatInterval(HEARTBEAT_S).withTicker(new FakeTicker()));
        fleet = MachineFleet.enroll(server, 210, 140);
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(BrowserContext::close);
        contexts.clear();
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (server != null) {
            server.close();
        }
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void three_machines_are_paused_with_one_confirmation_while_ticks_focus_and_counts_follow_the_fleet_live() throws Exception {
        Page page = signIn(1440, 900);
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Machines").setExact(true)).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Machines"))).isVisible();
        PlaywrightAssertions.assertThat(count(page, "all")).hasText("210");
        PlaywrightAssertions.assertThat(page.locator("[data-range]")).hasText("1–50 of 210");
        page.evaluate("window.__beaconMark = 'still-here'");
        int online = Integer.parseInt(count(page, "online").textContent());
        int paused = Integer.parseInt(count(page, "paused").textContent());

        for (String name : List.of("m-001", "m-002", "m-003")) {
            box(page, name).check();
        }
        PlaywrightAssertions.assertThat(page.locator("[data-selected-count]")).hasText("3 machines selected");

        // Typing in the search field while the list refreshes: focus and text stay, and so do the ticks.
        Locator search = page.locator("#machine-search");
        search.click();
        search.pressSequentially("m-0");
        markList(page);
        fleet.connect("m-100");
        PlaywrightAssertions.assertThat(count(page, "online")).hasText(Integer.toString(online + 1));
        PlaywrightAssertions.assertThat(page.locator("#machines-list[data-old]")).hasCount(0); // the list was swapped
        assertThat(page.evaluate("document.activeElement.id")).isEqualTo("machine-search");
        PlaywrightAssertions.assertThat(search).hasValue("m-0");
        assertTicked(page, "m-001", "m-002", "m-003");
        PlaywrightAssertions.assertThat(page.locator("[data-selected-count]")).hasText("3 machines selected");

        // Keyboard focus on a checkbox across a live change: it stays on that checkbox, ticks intact.
        box(page, "m-004").focus();
        fleet.connect("m-101");
        page.waitForTimeout(2_500); // more than the feed's one-second round and a fetch
        assertThat(page.evaluate("document.activeElement.value")).isEqualTo(fleet.ids.get("m-004"));
        assertTicked(page, "m-001", "m-002", "m-003");
        search.focus();
        fleet.pause("m-150"); // another change, now that no checkbox holds the focus
        PlaywrightAssertions.assertThat(count(page, "online")).hasText(Integer.toString(online + 2));
        PlaywrightAssertions.assertThat(count(page, "paused")).hasText(Integer.toString(paused + 1));
        assertTicked(page, "m-001", "m-002", "m-003");

        List<String> nativeDialogs = new ArrayList<>();
        page.onDialog(dialog -> {
            nativeDialogs.add(dialog.message());
            dialog.dismiss();
        });
        page.locator("#bulk-form").getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Pause")).click();
        Locator confirm = page.locator("#bulk-confirm");
        PlaywrightAssertions.assertThat(confirm).isVisible();
        PlaywrightAssertions.assertThat(confirm).containsText("Pause 3 machines?");
        assertThat(page.locator("dialog[open]").count()).isEqualTo(1);
        BrowserHarness.screenshot(page, "machines-bulk-confirm");
        confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Pause 3 machines")).click();
        PlaywrightAssertions.assertThat(page.locator(".flash")).containsText("3 machines paused");
        assertThat(nativeDialogs).isEmpty();
        for (String name : List.of("m-001", "m-002", "m-003")) {
            assertThat(fleet.robot(name).get("paused").asBoolean()).as(name).isTrue();
        }
        assertThat(fleet.robot("m-004").get("paused").asBoolean()).isFalse();
        PlaywrightAssertions.assertThat(count(page, "paused")).hasText(Integer.toString(paused + 4));

        // Sorting by a column heading is a plain link.
        page.locator("th a[data-sort=name]").click();
        PlaywrightAssertions.assertThat(page.locator("th[aria-sort=descending] a[data-sort=name]")).isVisible();
        PlaywrightAssertions.assertThat(page.locator("tbody tr").first()).hasAttribute("data-machine", "m-209");
        BrowserHarness.screenshot(page, "machines");

        // The silent agents turn Unresponsive by themselves, with no reload.
        page.evaluate("window.__beaconMark = 'still-here'");
        PlaywrightAssertions.assertThat(count(page, "unresponsive")).hasText("2",
                new LocatorAssertions.HasTextOptions().setTimeout(HEARTBEAT_S * 5_000L));
        assertThat(page.evaluate("window.__beaconMark")).isEqualTo("still-here");
    }

    @Test
    void the_machines_page_reads_well_and_works_at_phone_width() {
        Page page = signIn(390, 844);
        page.navigate("/machines");
        PlaywrightAssertions.assertThat(count(page, "all")).hasText("210");
        assertNoSidewaysScrolling(page);
        Locator wrap = page.locator("#machines-list .table-wrap");
        assertThat(((Number) wrap.evaluate("e => e.scrollWidth - e.clientWidth")).intValue()).as("the list needs no sideways scrolling").isLessThanOrEqualTo(0);
        BrowserHarness.screenshot(page, "machines-phone");

        page.locator("#machine-search").fill("m-02");
        page.locator("#machine-search").press("Enter");
        PlaywrightAssertions.assertThat(page.locator("[data-range]")).hasText("1–10 of 10");
        assertThat(page.url()).contains("q=m-02");
        for (String name : List.of("m-020", "m-021", "m-022")) {
            box(page, name).check();
            PlaywrightAssertions.assertThat(box(page, name)).isInViewport();
        }
        page.locator("#bulk-form").getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Pause")).click();
        page.locator("#bulk-confirm").getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Pause 3 machines")).click();
        PlaywrightAssertions.assertThat(page.locator(".flash")).containsText("3 machines paused");
        assertThat(page.url()).contains("q=m-02"); // back on the same search
        assertNoSidewaysScrolling(page);
        for (String name : List.of("m-020", "m-021", "m-022")) {
            assertThat(fleet.robot(name).get("paused").asBoolean()).as(name).isTrue();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Page signIn(int width, int height) {
        BrowserContext context = browser.context(server.baseUrl(), width, height);
        contexts.add(context);
        Page page = context.newPage();
        page.onConsoleMessage(message -> System.out.println("browser console: " + message.type() + " " + message.text()));
        page.navigate("/login");
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password").fill("test-password");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        return page;
    }

    private static Locator count(Page page, String tab) {
        return page.locator("#machines-list [data-count=" + tab + "]");
    }

    private static Locator box(Page page, String name) {
        return page.locator("tr[data-machine='" + name + "'] input[data-select]");
    }

    private static void markList(Page page) {
        page.evaluate("document.getElementById('machines-list').dataset.old = '1'");
    }

    private static void assertTicked(Page page, String... names) {
        for (String name : names) {
            PlaywrightAssertions.assertThat(box(page, name)).isChecked();
        }
    }

    private static void assertNoSidewaysScrolling(Page page) {
        int overflow = ((Number) page.evaluate("document.documentElement.scrollWidth - window.innerWidth")).intValue();
        Object culprits = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
                + "window.innerWidth + 1).slice(0, 5)"
                + ".map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().width))");
        assertThat(overflow).as(page.url() + ": no sideways scrolling; too wide: " + culprits).isLessThanOrEqualTo(0);
    }
}
