package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Forms, focus and names in a real browser (Debian's Chromium) at desktop (1440 px) and phone (390 px) widths: a
 * refused form keeps what was typed and says what is wrong beside the field, a live refresh never drops the keyboard
 * focus, a new secret's Copy button has the focus and its feedback is announced, and the audit log reads in names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FormsBrowserTest {
    private TestServer server;
    private BrowserHarness browser;
    private final List<BrowserContext> contexts = new ArrayList<>();
    private String fleetId;

    @BeforeAll
    void start() {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE);
        fleetId = server.siteAndFleet("warehouse-a", "dock-2")[1];
        // A fleet of 200 machines, as the dashboard's users have: every page below carries its weight.
        String fleetKey = server.enrollmentKey(200).get("key_value").asText();
        for (int i = 0; i < 200; i++) {
            assertThat(server.claim(fleetKey, String.format("fleet-machine-%03d", i)).status()).isEqualTo(201);
        }
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
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

    @ParameterizedTest(name = "{0} px")
    @ValueSource(ints = {1440, 390})
    void invalidJsonInAJobSubmissionIsShownBesideThePayloadAndTheOtherValuesStay(int width) {
        Page page = signIn(width);
        page.navigate("/jobs");
        page.locator("#submit > summary").click();
        page.locator("#job-kind").fill("backup-" + width);
        page.locator("#job-fleet").selectOption(fleetId);
        page.locator("#job-caps").fill("gpu, arm64");
        page.locator("#job-priority").fill("7");
        page.locator("#job-payload").fill("{\"path\": ");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Submit job")).click();

        Locator payload = page.locator("#job-payload");
        PlaywrightAssertions.assertThat(payload).hasAttribute("aria-invalid", "true");
        PlaywrightAssertions.assertThat(page.locator("#job-payload-error")).containsText("The payload must be JSON");
        PlaywrightAssertions.assertThat(payload).hasAttribute("aria-describedby", "job-payload-error");
        PlaywrightAssertions.assertThat(payload).isFocused();
        PlaywrightAssertions.assertThat(payload).hasValue("{\"path\": ");
        PlaywrightAssertions.assertThat(page.locator("#job-kind")).hasValue("backup-" + width);
        PlaywrightAssertions.assertThat(page.locator("#job-fleet")).hasValue(fleetId);
        PlaywrightAssertions.assertThat(page.locator("#job-caps")).hasValue("gpu, arm64");
        PlaywrightAssertions.assertThat(page.locator("#job-priority")).hasValue("7");
        assertThat(page.url()).endsWith("/ui/jobs");
        BrowserHarness.screenshot(page, "job-form-error-" + width);

        payload.fill("{\"path\": \"/srv\"}");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Submit job")).click();
        PlaywrightAssertions.assertThat(page.locator("[data-job-status]")).hasText("queued");
        PlaywrightAssertions.assertThat(page.getByTestId("job-target")).hasText("fleet dock-2 · needs gpu, arm64");
    }

    @ParameterizedTest(name = "{0} px")
    @ValueSource(ints = {1440, 390})
    void focusStaysOnAButtonAndALinkWhileALiveRefreshReplacesTheirSection(int width) {
        String keyName = "focus-" + width;
        server.createApiKey(keyName, "read");
        Page page = signIn(width);
        PlaywrightAssertions.assertThat(page.locator("#live-status")).hasAttribute("data-state", "live");

        Locator revoke = page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Revoke API key " + keyName));
        revoke.focus();
        page.locator("#api-keys-list").evaluate("e => e.dataset.before = 'refresh'");
        server.createApiKey("arrived-" + width, "read"); // announced to the page, which refreshes the keys section
        PlaywrightAssertions.assertThat(page.locator("tr[data-api-key='arrived-" + width + "']")).hasCount(1);
        PlaywrightAssertions.assertThat(page.locator("#api-keys-list[data-before]")).hasCount(0);
        assertThat(page.evaluate("document.activeElement.getAttribute('aria-label')")).isEqualTo("Revoke API key " + keyName);
        assertThat(page.evaluate("document.getElementById('api-keys-list').contains(document.activeElement)")).isEqualTo(true);

        String jobId = server.post("/api/jobs", "{\"kind\":\"echo\"}", server.adminKey()).json().get("id").asText();
        page.navigate("/jobs");
        PlaywrightAssertions.assertThat(page.locator("#live-status")).hasAttribute("data-state", "live");
        page.locator("a[href='/jobs/" + jobId + "']").focus();
        page.locator("#jobs-list").evaluate("e => e.dataset.before = 'refresh'");
        String next = server.post("/api/jobs", "{\"kind\":\"echo\"}", server.adminKey()).json().get("id").asText();
        PlaywrightAssertions.assertThat(page.locator("tr[data-job='" + next + "']")).hasCount(1);
        PlaywrightAssertions.assertThat(page.locator("#jobs-list[data-before]")).hasCount(0);
        assertThat(page.evaluate("document.activeElement.getAttribute('href')")).isEqualTo("/jobs/" + jobId);
    }

    @ParameterizedTest(name = "{0} px")
    @ValueSource(ints = {1440, 390})
    void aNewKeyOrTokenPutsTheFocusOnCopyAndCopyingIsAnnounced(int width) {
        Page page = signIn(width);
        page.context().grantPermissions(List.of("clipboard-read", "clipboard-write"));
        page.locator("#api-key-name").fill("copy-" + width);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create API key")).click();
        Locator copy = page.locator("[data-copy-from=revealed-secret]");
        PlaywrightAssertions.assertThat(copy).isFocused();
        page.keyboard().press("Enter");
        PlaywrightAssertions.assertThat(page.locator("#announcer")).hasText("Copied");
        PlaywrightAssertions.assertThat(page.locator("#announcer")).hasAttribute("aria-live", "polite");
        assertThat(page.evaluate("navigator.clipboard.readText()")).isEqualTo(page.getByTestId("revealed-secret").inputValue());

        page.locator("#token-name").fill("batch-" + width);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create token")).click();
        PlaywrightAssertions.assertThat(page.getByTestId("revealed-secret")).hasValue(java.util.regex.Pattern.compile(".+"));
        PlaywrightAssertions.assertThat(page.locator("[data-copy-from=revealed-secret]")).isFocused();
    }

    @ParameterizedTest(name = "{0} px")
    @ValueSource(ints = {1440, 390})
    void aKeyFormWithoutAScopeIsRefusedInPlaceAndTheAuditLogReadsInNames(int width) {
        JsonNode token = server.enrollmentKey(1);
        String machine = "dock-robot-" + width;
        assertThat(server.claim(token.get("key_value").asText(), machine).status()).isEqualTo(201);
        Page page = signIn(width);
        page.locator("#api-key-name").fill("no-scope-" + width);
        page.locator("input[name=scopes][value=jobs]").uncheck();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create API key")).click();
        PlaywrightAssertions.assertThat(page.locator("#api-key-scopes-error")).hasText(java.util.regex.Pattern.compile("Choose at least one scope"));
        PlaywrightAssertions.assertThat(page.locator("#api-key-name")).hasValue("no-scope-" + width);
        PlaywrightAssertions.assertThat(page.locator("input[name=scopes][value=jobs]")).isFocused();
        PlaywrightAssertions.assertThat(page.locator("tr[data-api-key='no-scope-" + width + "']")).hasCount(0);

        page.navigate("/audit");
        Locator enrolled = page.locator("tr[data-action='robot.enrolled']").filter(new Locator.FilterOptions().setHasText(machine));
        PlaywrightAssertions.assertThat(enrolled).containsText("enrollment token " + token.get("name").asText());
        PlaywrightAssertions.assertThat(enrolled).containsText("machine " + machine);
        PlaywrightAssertions.assertThat(enrolled.locator("[data-col=object] span")).hasAttribute("title",
                java.util.regex.Pattern.compile("rob_.+"));
    }

    private Page signIn(int width) {
        BrowserContext context = browser.context(server.baseUrl(), width, width > 600 ? 900 : 844);
        contexts.add(context);
        Page page = context.newPage();
        page.navigate("/login");
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password").fill("test-password");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        return page;
    }
}
