package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.ColorScheme;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * axe-core finds no serious or critical accessibility fault on any dashboard page, at desktop (1440 px) and phone
 * (390 px) width, in the light and the dark colour scheme, and with a confirmation dialog open. Each run lists every
 * fault it found on every page before failing, so one run shows all there is to fix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessibilityTest {
    private static final String ADMIN_PASSWORD = "test-password";

    private TestServer server;
    private BrowserHarness browser;
    private final List<String> pages = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE);
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        server.createApiKey("ci-production", "jobs");
        JsonNode token = server.enrollmentKey(3);
        assertThat(server.post("/api/enrollment-keys", "{\"site_id\":\"" + place[0] + "\",\"fleet_id\":\"" + place[1]
                + "\",\"name\":\"dock-2 batch\",\"max_uses\":5}", server.adminKey()).status()).isEqualTo(201);
        String machineId = server.claim(token.get("key_value").asText(), "arm-7").json().get("robot_id").asText();
        String jobId = server.post("/api/jobs", "{\"kind\":\"backup\",\"target\":{\"fleet_id\":\"" + place[1] + "\"},\"payload\":{\"path\":\"/var\"}}",
                server.adminKey()).json().get("id").asText();
        pages.addAll(List.of("/", "/machines", "/machines?status=offline&sort=name", "/jobs", "/jobs/" + jobId, "/machines/" + machineId, "/sites", "/audit", "/about", "/api-reference"));
        try (DashboardSession session = DashboardSession.signIn(server.baseUrl(), "admin", ADMIN_PASSWORD)) {
            if (session.get("/nodes").statusCode() == 200) {
                pages.add("/nodes");
            }
        }
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

    @ParameterizedTest(name = "{0} px, {1}")
    @CsvSource({"1440, LIGHT", "1440, DARK", "390, LIGHT", "390, DARK"})
    void no_page_has_a_serious_or_critical_fault(int width, ColorScheme scheme) {
        BrowserContext context = browser.context(server.baseUrl(), width, 900);
        try {
            AxeCheck.install(context);
            Page page = context.newPage();
            page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(scheme));
            String where = width + " px " + scheme.name().toLowerCase() + " ";
            List<String> faults = new ArrayList<>();

            page.navigate("/login");
            faults.addAll(AxeCheck.seriousViolations(page, where + "/login"));
            page.getByLabel("Username").fill("admin");
            page.getByLabel("Password").fill(ADMIN_PASSWORD);
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
            PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();

            for (String path : pages) {
                page.navigate(path);
                page.waitForLoadState();
                if (path.equals("/api-reference")) {
                    PlaywrightAssertions.assertThat(page.locator(".swagger-ui .info")).isVisible();
                }
                faults.addAll(AxeCheck.seriousViolations(page, where + path));
            }

            page.navigate("/");
            page.locator("[data-dialog^='revoke-key-']").first().click();
            PlaywrightAssertions.assertThat(page.getByRole(AriaRole.DIALOG)).isVisible();
            faults.addAll(AxeCheck.seriousViolations(page, where + "/ with the revoke dialog open"));

            page.keyboard().press("Escape");
            PlaywrightAssertions.assertThat(page.getByRole(AriaRole.DIALOG)).isHidden();

            if (width < 500) {
                page.locator("summary.menu-button").click();
                faults.addAll(AxeCheck.seriousViolations(page, where + "/ with the menu open"));
            }
            assertThat(faults).as("axe-core's serious and critical violations:\n  " + String.join("\n  ", faults)).isEmpty();
        } finally {
            context.close();
        }
    }
}
