package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.BoundingBox;
import com.microsoft.playwright.options.ColorScheme;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The dashboard's layout with a full organization (200 machines, 7 tokens, 6 API keys, jobs): at 390 px no page scrolls
 * sideways, rows are cards whose actions are on screen, the header is one short bar with the navigation behind a menu
 * button and the job form is folded away; at 1440 px the navigation shows in the bar, form fields line up, table cells
 * keep their borders and the logo costs at most one request. Writes the phone screenshots in docs/images.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PhoneLayoutBrowserTest {
    private static final String ADMIN_PASSWORD = "test-password";
    private static final int PHONE = 390;

    private TestServer server;
    private BrowserHarness browser;
    private final List<BrowserContext> contexts = new ArrayList<>();
    private final List<String> pages = new ArrayList<>();

    @BeforeAll
    void start() {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE);
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
        String[] place = server.siteAndFleet("warehouse-a", "dock-2-north-loading-bays");
        server.siteAndFleet("harbour-b", "pier-1");
        for (int i = 1; i <= 6; i++) {
            server.createApiKey("ci-production-pipeline-" + i, i % 2 == 0 ? "read" : "jobs");
        }
        JsonNode fleetToken = null;
        for (int i = 1; i <= 6; i++) {
            TestServer.Response created = server.post("/api/enrollment-keys", "{\"site_id\":\"" + place[0] + "\",\"fleet_id\":\"" + place[1]
                    + "\",\"name\":\"dock-2 batch " + i + " for the spring rollout\",\"max_uses\":250}", server.adminKey());
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            fleetToken = created.json();
        }
        String machineId = null;
        for (int i = 1; i <= 200; i++) {
            TestServer.Response enrolled = server.claim(fleetToken.get("key_value").asText(), String.format("robot-arm-warehouse-a-%03d", i));
            assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
            machineId = enrolled.json().get("robot_id").asText();
        }
        String jobId = null;
        for (int i = 0; i < 5; i++) {
            jobId = server.post("/api/jobs", "{\"kind\":\"nightly-database-backup\",\"target\":{\"fleet_id\":\"" + place[1]
                    + "\"},\"payload\":{\"path\":\"/var/lib/robot/a/rather/long/path/to/show/wrapping\"}}", server.adminKey()).json().get("id").asText();
        }
        pages.addAll(List.of("/", "/machines", "/jobs", "/jobs/" + jobId, "/machines/" + machineId, "/sites", "/audit", "/about", "/api-reference"));
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(BrowserContext::close);
        contexts.clear();
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
    void at_390_px_no_page_scrolls_sideways_and_the_header_is_one_short_bar() {
        Page signedOut = newPage(PHONE, 844);
        signedOut.navigate("/login");
        assertNoSidewaysScrolling(signedOut);

        Page page = signIn(PHONE, 844);
        for (String path : pages) {
            page.navigate(path);
            page.waitForLoadState();
            assertNoSidewaysScrolling(page);
            assertThat(page.locator("header.top").boundingBox().height).as(path + ": header height").isLessThanOrEqualTo(64);
            if (!path.equals("/api-reference")) {
                assertOneWordForMachines(page);
            }
            if (path.equals("/")) {
                BrowserHarness.screenshot(page, "api-management-phone");
            } else if (path.equals("/jobs")) {
                BrowserHarness.screenshot(page, "jobs-phone");
            }
        }
    }

    @Test
    void on_a_phone_rows_are_cards_with_their_actions_on_screen_and_cells_labelled() {
        Page page = signIn(PHONE, 844);
        Locator buttons = page.locator("#tokens-list .row-actions > button, #api-keys-list .row-actions > button");
        assertThat(buttons.count()).isGreaterThanOrEqualTo(6 * 3 + 6);
        for (int i = 0; i < buttons.count(); i++) {
            Locator button = buttons.nth(i);
            BoundingBox box = onScreen(button);
            String name = button.getAttribute("aria-label");
            assertThat(box.x).as(name + " starts on screen").isGreaterThanOrEqualTo(0);
            assertThat(box.x + box.width).as(name + " ends on screen").isLessThanOrEqualTo(PHONE);
            assertThat(box.width).as(name + " is a big enough target").isGreaterThanOrEqualTo(44);
            assertThat(box.height).as(name + " is a big enough target").isGreaterThanOrEqualTo(44);
        }

        Locator card = page.locator("#tokens-list tr[data-token='dock-2 batch 1 for the spring rollout']");
        BoundingBox title = onScreen(card.locator("th"));
        BoundingBox revoke = onScreen(card.locator("[data-dialog^='revoke-token-']"));
        assertThat(revoke.y).as("the actions share the card's first line with its name").isLessThan(title.y + title.height);
        Locator uses = card.locator("td[data-label='Uses']");
        PlaywrightAssertions.assertThat(uses).hasText("0 / 250");
        assertThat(uses.evaluate("e => getComputedStyle(e, '::before').content")).isEqualTo("\"Uses\"");
        assertThat(card.locator("td").first().evaluate("e => getComputedStyle(e).display")).isEqualTo("block");

        page.navigate("/machines");
        Locator machine = page.locator("tr[data-machine='robot-arm-warehouse-a-007']");
        machine.scrollIntoViewIfNeeded();
        PlaywrightAssertions.assertThat(machine.getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("robot-arm-warehouse-a-007"))).isInViewport();
        PlaywrightAssertions.assertThat(machine.locator(".status")).isInViewport();
    }

    @Test
    void on_a_phone_the_navigation_is_behind_the_menu_button_and_the_job_form_is_folded() {
        Page page = signIn(PHONE, 844);
        Locator jobsLink = page.getByRole(AriaRole.NAVIGATION, new Page.GetByRoleOptions().setName("Main"))
                .getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("Jobs").setExact(true));
        PlaywrightAssertions.assertThat(jobsLink).isHidden();
        Locator menu = page.locator("summary.menu-button");
        assertThat(menu.boundingBox().height).isGreaterThanOrEqualTo(44);
        assertThat(page.locator("details.menu").evaluate("d => d.open")).isEqualTo(false);
        menu.click();
        assertThat(page.locator("details.menu").evaluate("d => d.open")).isEqualTo(true);
        PlaywrightAssertions.assertThat(jobsLink).isVisible();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign out"))).isVisible();
        jobsLink.click();

        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("All jobs"))).isVisible();
        assertThat(page.locator("details#submit").evaluate("d => d.open")).isEqualTo(false);
        PlaywrightAssertions.assertThat(page.locator("#job-kind")).isHidden();
        assertThat(page.locator("#jobs-list tbody tr").first().boundingBox().y).as("the first job is on the first screen").isLessThan(844);
        page.getByText("Submit a job").click();
        PlaywrightAssertions.assertThat(page.locator("#job-kind")).isVisible();

        page.navigate("/jobs#submit");
        PlaywrightAssertions.assertThat(page.locator("#job-kind")).isVisible();
    }

    @Test
    void on_a_desktop_the_navigation_is_in_the_bar_fields_line_up_and_cells_keep_their_borders() {
        Page page = signIn(1440, 900);
        PlaywrightAssertions.assertThat(page.locator("summary.menu-button")).isHidden();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.NAVIGATION, new Page.GetByRoleOptions().setName("Main"))
                .getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("Jobs").setExact(true))).isVisible();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign out"))).isVisible();
        assertThat(page.locator("header.top").boundingBox().height).isLessThanOrEqualTo(64);

        double nameTop = page.locator("#token-name").boundingBox().y;
        for (String field : List.of("#token-site", "#token-fleet", "#token-uses", "#token-expiry")) {
            assertThat(page.locator(field).boundingBox().y).as(field + " lines up with the name field")
                    .isCloseTo(nameTop, org.assertj.core.data.Offset.offset(1.0));
        }

        assertThat(page.locator("#token-fleet optgroup").evaluateAll("gs => gs.map(g => g.label)")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .containsExactlyInAnyOrder("harbour-b", "warehouse-a");

        Locator actions = page.locator("#tokens-list td.actions").first();
        assertThat(actions.evaluate("e => getComputedStyle(e).display")).isEqualTo("table-cell");
        assertThat(actions.evaluate("e => getComputedStyle(e).borderBottomStyle")).isEqualTo("solid");
        assertThat(onScreen(page.locator("#tokens-list tr[data-token]").first()).height).as("a token row is one line").isLessThan(60);
    }

    @Test
    void a_table_wider_than_the_screen_scrolls_in_a_box_reachable_from_the_keyboard() {
        Page page = signIn(640, 800);
        Locator wrap = page.locator("#tokens-list .table-wrap");
        assertThat(((Number) wrap.evaluate("e => e.scrollWidth - e.clientWidth")).intValue()).as("the token table is wider than 640 px")
                .isPositive();
        PlaywrightAssertions.assertThat(wrap).hasAttribute("tabindex", "0");
        PlaywrightAssertions.assertThat(wrap).hasAttribute("role", "region");
        PlaywrightAssertions.assertThat(wrap).hasAttribute("aria-label", "Enrollment tokens (scrolls)");
        assertNoSidewaysScrolling(page);
        assertThat(onScreen(page.locator("#tokens-list tr[data-token]").first()).height).as("a token row is one line").isLessThan(60);
    }

    @Test
    void the_logo_costs_at_most_one_request_per_page() {
        // A page of its own, watched from before its first request: the sign-in page's favicon may still be on its way.
        Page page = signIn(1440, 900).context().newPage();
        AtomicInteger logoRequests = new AtomicInteger();
        page.onRequest(request -> {
            if (request.url().contains("/assets/beacon") && request.url().endsWith(".svg")) {
                logoRequests.incrementAndGet();
            }
        });
        page.navigate("/jobs");
        page.waitForLoadState();
        assertThat(page.locator("header img").count()).as("no <img> in the header").isZero();
        PlaywrightAssertions.assertThat(page.locator("header svg.logo")).isVisible();
        assertThat(logoRequests.get()).isLessThanOrEqualTo(1);
    }

    @Test
    void the_dark_scheme_is_dark() {
        Page page = signIn(1440, 900);
        page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
        assertThat(page.locator("main .card").first().evaluate("e => getComputedStyle(e).backgroundColor")).isEqualTo("rgb(19, 28, 47)");
        BrowserHarness.screenshot(page, "api-management-dark");
        page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.LIGHT));
        assertThat(page.locator("main .card").first().evaluate("e => getComputedStyle(e).backgroundColor")).isEqualTo("rgb(255, 255, 255)");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Page newPage(int width, int height) {
        BrowserContext context = browser.context(server.baseUrl(), width, height);
        contexts.add(context);
        return context.newPage();
    }

    private Page signIn(int width, int height) {
        Page page = newPage(width, height);
        page.navigate("/login");
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password").fill(ADMIN_PASSWORD);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        return page;
    }

    private static void assertNoSidewaysScrolling(Page page) {
        int overflow = ((Number) page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")).intValue();
        Object culprits = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
                + "window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().width))");
        assertThat(overflow).as(page.url() + ": no sideways scrolling of the whole page; too wide: " + culprits).isLessThanOrEqualTo(0);
    }

    /** Scrolls {@code button} into view and measures it, again if a live refresh replaced it meanwhile. */
    /**
     * The element's box once it is scrolled into view. The live lists are swapped in by htmx now and then, so the
     * element found may be replaced between the scroll and the measurement (Playwright then throws or answers null);
     * it is measured again, a few times at most.
     */
    private static BoundingBox onScreen(Locator element) {
        for (int attempt = 1; ; attempt++) {
            try {
                element.scrollIntoViewIfNeeded();
                BoundingBox box = element.boundingBox();
                if (box != null || attempt == 3) {
                    assertThat(box).as(element + " has a box").isNotNull();
                    return box;
                }
            } catch (com.microsoft.playwright.PlaywrightException replaced) {
                if (attempt == 3) {
                    throw replaced;
                }
            }
        }
    }

    /**
     * The page's visible words call a machine a machine: no "robot", "agent" or "driver" outside code, names (like
     * robot-arm-…) and the reference product's own labels (Active Drivers, "Automations waiting for a driver"); no
     * literal backticks either, code is rendered as code.
     */
    private static void assertOneWordForMachines(Page page) {
        String words = (String) page.evaluate("""
                () => { const copy = document.body.cloneNode(true);
                        copy.querySelectorAll('code, pre, kbd, script, style, .mono, [hidden], .visually-hidden').forEach(e => e.remove());
                        return copy.textContent; }""");
        String prose = words.replace("Active Drivers", "").replace("Automations waiting for a driver", "");
        java.util.regex.Matcher other = java.util.regex.Pattern.compile("(?i)(?<![\\w-])(robots?|agents?|drivers?)(?![\\w-])").matcher(prose);
        java.util.List<String> found = new java.util.ArrayList<>();
        while (other.find()) {
            found.add(prose.substring(Math.max(0, other.start() - 40), Math.min(prose.length(), other.end() + 40)).replaceAll("\\s+", " "));
        }
        assertThat(found).as(page.url() + ": other words for a machine").isEmpty();
        assertThat(prose).as(page.url() + ": literal backticks").doesNotContain("`");
    }
}
