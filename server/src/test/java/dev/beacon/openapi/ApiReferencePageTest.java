package dev.beacon.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The dashboard's API reference page: Swagger UI from Beacon's own files (no CDN) under the dashboard's unchanged
 * Content-Security-Policy, reached from the header, rendering {@code /api/openapi.json}, and "Try it out" working with
 * the session (its CSRF token added by the page's initialiser). HTTP checks run on JUnit's thread; the browser checks
 * drive Debian's Chromium (skipped without it, except under CI).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiReferencePageTest {
    private TestServer server;

    @BeforeAll
    void start() {
        server = TestServer.start(Backend.SQLITE);
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000); // Swagger UI renders 34 operations: seconds on a loaded machine
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @Test
    void the_page_needs_a_session_and_loads_only_beacons_own_scripts_under_the_dashboard_csp() {
        TestServer.Response anonymous = server.get("/api-reference", null);
        assertThat(anonymous.status()).isEqualTo(303);
        assertThat(anonymous.raw().headers().firstValue("Location")).hasValue("/login?next=%2Fapi-reference");

        TestServer.Response bundle = server.get("/swagger-ui/swagger-ui-bundle.js", null);
        assertThat(bundle.status()).isEqualTo(200);
        assertThat(bundle.raw().headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
        assertThat(bundle.body()).contains("SwaggerUIBundle");
        assertThat(server.get("/swagger-ui/swagger-ui.css", null).raw().headers().firstValue("Content-Type").orElseThrow()).startsWith("text/css");
        assertThat(server.get("/swagger-ui/index.html", null).status()).isEqualTo(404);
        assertThat(server.get("/assets/api-reference.js", null).body()).contains("SwaggerUIBundle(");
    }

    @Test
    void the_reference_renders_the_document_from_the_header_link_and_try_it_out_creates_a_site_with_the_session() {
        try (BrowserHarness browser = BrowserHarness.launch(); BrowserContext context = browser.context(server.baseUrl())) {
            Page page = context.newPage();
            List<String> problems = new CopyOnWriteArrayList<>();
            page.onConsoleMessage(message -> {
                System.out.println("browser console: " + message.type() + " " + message.text());
                if ("error".equals(message.type())) {
                    problems.add(message.text());
                }
            });
            page.onPageError(error -> problems.add(error));
            page.onRequest(request -> {
                if (!request.url().startsWith(server.baseUrl())) {
                    problems.add("request to another origin: " + request.url());
                }
            });
            page.navigate("/login");
            page.getByLabel("Username").fill("admin");
            page.getByLabel("Password").fill("test-password");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("API reference")).click();

            PlaywrightAssertions.assertThat(page.locator("#swagger-ui .info .title")).containsText("Beacon API");
            PlaywrightAssertions.assertThat(page.locator("#operations-Jobs-submitJob")).isVisible();
            assertThat(page.locator(".opblock").count()).isEqualTo(OpenApiContract.load().operations().size());
            BrowserHarness.screenshot(page, "api-reference");

            var createSite = page.locator("#operations-Sites_and_fleets-createSite");
            createSite.locator(".opblock-summary").first().click();
            createSite.locator(".try-out__btn").click();
            createSite.locator("textarea.body-param__text").fill("{\"name\":\"from-the-reference\"}");
            createSite.locator(".execute").click();
            PlaywrightAssertions.assertThat(createSite.locator(".live-responses-table")).containsText("201");
            assertThat(server.get("/api/sites", server.adminKey()).body()).contains("from-the-reference");
            assertThat(problems).isEmpty();
        }
    }
}
