package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser (Debian's Chromium) against a real server and real agent processes. Each test
 * signs in with its own browser profile. The screenshots in docs/images come from these tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserTest {
    private static final String ADMIN_PASSWORD = "test-password";
    private static final String GREEN = "rgb(22, 163, 74)";
    private static final String YELLOW = "rgb(234, 179, 8)";
    private static final String GRAY = "rgb(156, 163, 175)";

    private TestServer server;
    private BrowserHarness browser;
    private final List<Process> agents = new ArrayList<>();
    private final List<BrowserContext> contexts = new ArrayList<>();
    private String siteId;
    private String fleetId;
    @TempDir
    Path tmp;

    @BeforeAll
    void start() {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE, config -> config.withHeartbeatInterval(1));
        String[] place = server.siteAndFleet("warehouse-a", "dock-2");
        siteId = place[0];
        fleetId = place[1];
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
    }

    @AfterEach
    void stopAgents() throws Exception {
        for (Process agent : agents) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        agents.clear();
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
    void wrongPasswordIsRefusedWithAMessageAndTheRightOneSignsIn() {
        Page page = newPage(1280, 860);
        page.navigate("/");
        assertThat(page.url()).contains("/login");
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password").fill("not-the-password");
        BrowserHarness.screenshot(page, "sign-in");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.ALERT)).containsText("Wrong username or password.");
        assertThat(page.context().cookies()).noneMatch(cookie -> cookie.name.equals(DashboardAuth.COOKIE));

        page.getByLabel("Password").fill(ADMIN_PASSWORD);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        var cookie = page.context().cookies().stream().filter(c -> c.name.equals(DashboardAuth.COOKIE)).findFirst().orElseThrow();
        assertThat(cookie.httpOnly).isTrue();
        assertThat(cookie.sameSite).hasToString("LAX");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign out")).click();
        PlaywrightAssertions.assertThat(page.locator(".flash")).containsText("You are signed out.");
        page.navigate("/jobs");
        assertThat(page.url()).contains("/login?next=%2Fjobs");
    }

    @Test
    void anApiKeyIsShownOnceCopyableListedWithLastUsedAndRevocable() {
        Page page = signIn("admin", ADMIN_PASSWORD);
        page.context().grantPermissions(List.of("clipboard-read", "clipboard-write"));
        page.locator("#api-key-name").fill("ci-production");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create API key")).click();

        Locator revealed = page.getByTestId("revealed-secret");
        String key = revealed.inputValue();
        assertThat(key).matches("rf_api_[0-9a-f]+");
        PlaywrightAssertions.assertThat(page.getByText("Copy it now.")).isVisible();
        BrowserHarness.screenshot(page, "api-key-created");
        page.locator("[data-copy-from=revealed-secret]").click();
        PlaywrightAssertions.assertThat(page.locator("[data-copy-from=revealed-secret]")).hasText("Copied");
        assertThat(page.evaluate("navigator.clipboard.readText()")).isEqualTo(key);

        page.reload();
        PlaywrightAssertions.assertThat(page.getByTestId("revealed-secret")).hasCount(0); // shown once
        assertThat(page.content()).doesNotContain(key);
        Locator row = page.locator("tr[data-api-key='ci-production']");
        PlaywrightAssertions.assertThat(row.locator("[data-col=last-used]")).hasText("never");

        markNoReload(page);
        assertThat(server.get("/api/robots", key).status()).isEqualTo(403); // a jobs key may not list robots, but it was used
        assertThat(server.get("/api/jobs", key).status()).isEqualTo(200);
        PlaywrightAssertions.assertThat(row.locator("[data-col=last-used]")).not().hasText("never",
                new LocatorAssertions.HasTextOptions().setTimeout(20_000));
        assertNoReload(page);

        row.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Revoke API key ci-production")).click();
        Locator dialog = page.getByRole(AriaRole.DIALOG);
        PlaywrightAssertions.assertThat(dialog).containsText("Revoke API key “ci-production”?");
        BrowserHarness.screenshot(page, "api-key-revoke-confirm");
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Revoke key")).click();
        PlaywrightAssertions.assertThat(page.locator(".flash")).containsText("revoked");
        PlaywrightAssertions.assertThat(page.locator("tr[data-api-key='ci-production']")).containsText("revoked");
        assertThat(server.get("/api/jobs", key).status()).isEqualTo(401);
    }

    @Test
    void aMachineEnrolledWithATokenFromThePageGoesOnlineBusyAndOfflineWithoutAReload() throws Exception {
        Page page = signIn("admin", ADMIN_PASSWORD);
        page.locator("#token-name").fill("dock-2 batch");
        page.locator("#token-site").selectOption(siteId);
        page.locator("#token-fleet").selectOption(fleetId);
        page.locator("#token-uses").fill("1");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create token")).click();
        String token = page.getByTestId("revealed-secret").inputValue();
        assertThat(token).matches("rf_enroll_[0-9a-f]+");
        // Beside the token: the one line that installs the agent on a robot, with this server's URL, and no key in it.
        String installLine = "curl -fsSL " + server.baseUrl() + "/install.sh | sudo sh -s -- --name \"$(hostname)\"";
        Locator reveal = page.locator(".reveal");
        PlaywrightAssertions.assertThat(reveal.getByTestId("install-line")).hasValue(installLine);
        PlaywrightAssertions.assertThat(reveal.getByTestId("enroll-line"))
                .hasValue("beacon-agent enroll --server " + server.baseUrl() + " --name \"$(hostname)\"");
        page.context().grantPermissions(List.of("clipboard-read", "clipboard-write"));
        reveal.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy install command")).click();
        assertThat(page.evaluate("navigator.clipboard.readText()")).isEqualTo(installLine);
        BrowserHarness.screenshot(page, "enrollment-token-created");
        page.reload();
        Locator tokenRow = page.locator("tr[data-token='dock-2 batch']");
        PlaywrightAssertions.assertThat(tokenRow).containsText("active");
        PlaywrightAssertions.assertThat(tokenRow).containsText("0 / 1");

        // The machines have their own page; API Management stays open beside it for the token and the queue.
        Page home = page;
        page = page.context().newPage();
        page.navigate("/machines");
        markNoReload(page);
        markNoReload(home);
        startAgent(token, "dock-bot-1");
        Locator status = page.locator("tr[data-machine='dock-bot-1'] [data-status]");
        PlaywrightAssertions.assertThat(status).hasAttribute("data-status", "online");
        PlaywrightAssertions.assertThat(status).hasText("Online");
        assertThat(dotColor(page, "dock-bot-1")).isEqualTo(GREEN);
        PlaywrightAssertions.assertThat(tokenRow).containsText("1 / 1");
        PlaywrightAssertions.assertThat(tokenRow).containsText("exhausted");

        TestServer.Response job = server.post("/api/jobs", "{\"kind\": \"sleep\", \"payload\": {\"seconds\": 4}}", server.adminKey());
        assertThat(job.status()).isEqualTo(202);
        String jobId = job.json().get("id").asText();
        PlaywrightAssertions.assertThat(status).hasAttribute("data-status", "busy");
        assertThat(dotColor(page, "dock-bot-1")).isEqualTo(YELLOW);
        // The current job by its kind, its id on hover.
        PlaywrightAssertions.assertThat(page.locator("tr[data-machine='dock-bot-1'] a[title='" + jobId + "']")).hasText("sleep");
        PlaywrightAssertions.assertThat(home.locator("[data-figure=active-drivers]")).hasText("1");
        home.locator("#api-key-name").fill("partner-sync");
        BrowserHarness.screenshot(home, "api-management");
        assertNoReload(home);

        PlaywrightAssertions.assertThat(status).hasAttribute("data-status", "online");
        assertThat(server.get("/api/jobs/" + jobId, server.adminKey()).json().get("status").asText()).isEqualTo("succeeded");

        Process agent = agents.get(0);
        agent.destroy(); // SIGTERM: the agent says goodbye and the socket closes
        assertThat(agent.waitFor(15, TimeUnit.SECONDS)).isTrue();
        PlaywrightAssertions.assertThat(status).hasAttribute("data-status", "offline");
        PlaywrightAssertions.assertThat(status).hasText("Offline");
        assertThat(dotColor(page, "dock-bot-1")).isEqualTo(GRAY);
        assertNoReload(page);

        page.locator("tr[data-machine='dock-bot-1'] a").first().click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("dock-bot-1"))).isVisible();
        PlaywrightAssertions.assertThat(page.locator(".facts").first()).containsText("127.0.0.1");
        PlaywrightAssertions.assertThat(page.locator(".facts").first()).containsText("echo");
        PlaywrightAssertions.assertThat(page.locator(".facts").first()).containsText("token “dock-2 batch”");
        PlaywrightAssertions.assertThat(page.locator("a[title='" + jobId + "']").first()).hasText("sleep");
        BrowserHarness.screenshot(page, "machine-detail");

        page.navigate("/jobs/" + jobId);
        PlaywrightAssertions.assertThat(page.locator("[data-job-status]")).hasText("succeeded");
        BrowserHarness.screenshot(page, "job-detail");
    }

    @Test
    void aTokenIsRevokedAndAMachineRemovedThroughTheirConfirmations() throws Exception {
        JsonNode key = server.enrollmentKey(5);
        String tokenName = key.get("name").asText();
        Process agent = startAgent(key.get("key_value").asText(), "retire-me");
        Page page = signIn("admin", ADMIN_PASSWORD);
        Page machines = page.context().newPage();
        machines.navigate("/machines");
        Locator status = machines.locator("tr[data-machine='retire-me'] [data-status]");
        PlaywrightAssertions.assertThat(status).hasAttribute("data-status", "online");

        Locator tokenRow = page.locator("tr[data-token='" + tokenName + "']");
        page.context().grantPermissions(List.of("clipboard-read", "clipboard-write"));
        tokenRow.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy enrollment token " + tokenName)).click();
        PlaywrightAssertions.assertThat(tokenRow.locator("[data-copied]")).hasAttribute("data-copied", "Copied");
        assertThat(page.evaluate("navigator.clipboard.readText()")).isEqualTo(key.get("key_value").asText());
        Locator installButton = tokenRow.getByRole(AriaRole.BUTTON,
                new Locator.GetByRoleOptions().setName("Copy install command for a machine enrolling with " + tokenName));
        installButton.click();
        PlaywrightAssertions.assertThat(installButton).hasAttribute("data-copied", "Copied");
        assertThat(page.evaluate("navigator.clipboard.readText()"))
                .isEqualTo("curl -fsSL " + server.baseUrl() + "/install.sh | sudo sh -s -- --name \"$(hostname)\"");

        tokenRow.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Revoke enrollment token " + tokenName)).click();
        Locator dialog = page.getByRole(AriaRole.DIALOG);
        PlaywrightAssertions.assertThat(dialog).containsText("keep working");
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Cancel")).click();
        PlaywrightAssertions.assertThat(dialog).isHidden();
        PlaywrightAssertions.assertThat(tokenRow).containsText("active"); // cancelling changed nothing

        tokenRow.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Revoke enrollment token " + tokenName)).click();
        BrowserHarness.screenshot(page, "enrollment-token-revoke-confirm");
        page.getByRole(AriaRole.DIALOG).getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Revoke token")).click();
        PlaywrightAssertions.assertThat(page.locator("tr[data-token='" + tokenName + "']")).containsText("revoked");
        assertThat(server.claim(key.get("key_value").asText(), "too-late").code()).isEqualTo("enrollment_key_revoked");
        PlaywrightAssertions.assertThat(status).hasAttribute("data-status", "online"); // no cascade: it keeps working

        page.navigate("/machines");
        page.locator("tr[data-machine='retire-me'] a").first().click();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Remove machine")).click();
        Locator remove = page.getByRole(AriaRole.DIALOG);
        PlaywrightAssertions.assertThat(remove).containsText("Remove “retire-me” from your organization?");
        remove.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Remove machine")).click();
        PlaywrightAssertions.assertThat(page.locator(".flash")).containsText("'retire-me' removed");
        PlaywrightAssertions.assertThat(page.locator("tr[data-machine='retire-me']")).hasCount(0);
        assertThat(agent.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(3);
    }

    @Test
    void aViewerSeesEverythingButCannotCreateOrRevoke() throws Exception {
        var created = TestServer.runCliWithStdin("viewer-password-1\n", "admin", "user", "create", "--username", "vera", "--role", "viewer",
                "--password-stdin", "--data-dir", server.dataDir().toString(), "--database-url", server.databaseUrl());
        assertThat(created.exitCode()).as(created.err()).isZero();
        String apiKey = server.createApiKey("keep-me", "jobs");
        Page page = signIn("vera", "viewer-password-1");
        PlaywrightAssertions.assertThat(page.locator(".role")).hasText("viewer");
        PlaywrightAssertions.assertThat(page.locator("tr[data-api-key='keep-me']")).isVisible();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create API key"))).hasCount(0);
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create token"))).hasCount(0);
        PlaywrightAssertions.assertThat(page.locator("button[aria-label^='Revoke']")).hasCount(0);

        // Forging the form the page does not offer still fails: the server checks the role.
        String keyId = server.get("/api/api-keys", server.adminKey()).json().get("items").findValues("id").stream()
                .filter(id -> server.get("/api/api-keys/" + id.asText(), server.adminKey()).json().get("name").asText().equals("keep-me"))
                .findFirst().orElseThrow().asText();
        Object landed = page.evaluate("id => fetch('/ui/api-keys/' + id + '/revoke', {method: 'POST', headers: {'Content-Type': "
                + "'application/x-www-form-urlencoded'}, body: '_csrf=' + document.querySelector('meta[name=csrf-token]').content, "
                + "redirect: 'manual'}).then(r => r.type)", keyId);
        assertThat(landed).isEqualTo("opaqueredirect");
        page.reload();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.ALERT)).containsText("Only admins");
        assertThat(server.get("/api/jobs", apiKey).status()).isEqualTo(200);
        page.navigate("/jobs");
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Submit job"))).hasCount(0);
    }

    @Test
    void aFormPostedWithoutItsCsrfTokenIsRefused() {
        Page page = signIn("admin", ADMIN_PASSWORD);
        page.navigate("/sites");
        page.locator("form[action='/ui/sites'] input[name=_csrf]").evaluate("e => e.remove()");
        page.locator("#site-name").fill("forged-site");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create site")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.ALERT)).containsText("security token is missing");
        assertThat(server.get("/api/sites", server.adminKey()).body()).doesNotContain("forged-site");

        page.navigate("/sites");
        page.locator("#site-name").fill("real-site");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create site")).click();
        PlaywrightAssertions.assertThat(page.locator(".flash")).containsText("Site 'real-site' created");
        assertThat(server.get("/api/sites", server.adminKey()).body()).contains("real-site");
        BrowserHarness.screenshot(page, "sites");
    }

    @Test
    void jobsAreSubmittedExplainedAndCancelledFromTheJobsPage() {
        Page page = signIn("admin", ADMIN_PASSWORD);
        page.navigate("/jobs");
        page.getByText("Submit a job").click(); // the form is folded away until asked for
        page.locator("#job-kind").fill("backup");
        page.locator("#job-fleet").selectOption(fleetId);
        page.locator("#job-payload").fill("{\"path\": \"/var/lib/robot\"}");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Submit job")).click();
        PlaywrightAssertions.assertThat(page.locator("[data-job-status]")).hasText("queued");
        PlaywrightAssertions.assertThat(page.getByText("Why is it waiting?")).isVisible();
        PlaywrightAssertions.assertThat(page.locator(".facts").first()).containsText("user admin");
        PlaywrightAssertions.assertThat(page.locator(".flash").filter(new Locator.FilterOptions().setHasText("Why is it waiting?")))
                .containsText("backup");
        String jobId = page.url().substring(page.url().lastIndexOf('/') + 1);
        BrowserHarness.screenshot(page, "job-queued");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Cancel job")).click();
        page.getByRole(AriaRole.DIALOG).getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Cancel job")).click();
        PlaywrightAssertions.assertThat(page.locator("[data-job-status]")).hasText("cancelled");
        assertThat(server.get("/api/jobs/" + jobId, server.adminKey()).json().get("status").asText()).isEqualTo("cancelled");

        page.navigate("/jobs");
        PlaywrightAssertions.assertThat(page.locator("tr[data-job='" + jobId + "']")).containsText("cancelled");
        page.locator("#jf-status").selectOption("queued");
        PlaywrightAssertions.assertThat(page.locator("tr[data-job='" + jobId + "']")).hasCount(0);
        page.navigate("/jobs");
        BrowserHarness.screenshot(page, "jobs");

        page.navigate("/audit");
        PlaywrightAssertions.assertThat(page.locator("tr[data-action='user.signed_in']").first()).isVisible();
    }

    @Test
    void refusedEnrollmentsAppearInTheAuditLog() {
        JsonNode key = server.enrollmentKey(1);
        server.post("/api/enrollment-keys/" + key.get("id").asText() + "/revoke", "{}", server.adminKey());
        assertThat(server.claim(key.get("key_value").asText(), "intruder").code()).isEqualTo("enrollment_key_revoked");
        Page page = signIn("admin", ADMIN_PASSWORD);
        page.navigate("/audit");
        Locator refused = page.locator("tr[data-action='enrollment.refused']").first();
        PlaywrightAssertions.assertThat(refused).containsText("enrollment_key_revoked");
        PlaywrightAssertions.assertThat(refused).containsText("127.0.0.1");
        BrowserHarness.screenshot(page, "audit-log");
    }

    @Test
    void thePageRecoversByItselfAfterAServerRestart() {
        Page page = signIn("admin", ADMIN_PASSWORD);
        page.navigate("/machines");
        PlaywrightAssertions.assertThat(page.locator("#live-status")).hasAttribute("data-state", "live");
        markNoReload(page);
        server.restart();
        PlaywrightAssertions.assertThat(page.locator("#live-status")).hasAttribute("data-reconnects", "1",
                new LocatorAssertions.HasAttributeOptions().setTimeout(30_000));
        JsonNode key = server.enrollmentKey(1);
        assertThat(server.claim(key.get("key_value").asText(), "after-restart").status()).isEqualTo(201);
        PlaywrightAssertions.assertThat(page.locator("tr[data-machine='after-restart']")).isVisible();
        assertNoReload(page);
    }

    @Test
    void thePagesReadWellAtPhoneWidth() {
        Page page = signIn("admin", ADMIN_PASSWORD, 390, 844);
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        BrowserHarness.screenshot(page, "api-management-phone");
        assertNoSidewaysScrolling(page);

        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("About").setExact(true)).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Data retention"))).isVisible();
        PlaywrightAssertions.assertThat(page.locator("tr[data-retention='jobs'] td[data-kept]")).hasText("30d");
        BrowserHarness.screenshot(page, "about-phone");
        assertNoSidewaysScrolling(page);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Page newPage(int width, int height) {
        BrowserContext context = browser.context(server.baseUrl(), width, height);
        contexts.add(context);
        Page page = context.newPage();
        page.onConsoleMessage(message -> System.out.println("browser console: " + message.type() + " " + message.text()));
        page.onRequest(request -> { if (!request.url().contains("/assets/")) System.out.println("browser request: " + request.method() + " " + request.url()); });
        return page;
    }

    private Page signIn(String username, String password) {
        return signIn(username, password, 1280, 860);
    }

    private Page signIn(String username, String password, int width, int height) {
        Page page = newPage(width, height);
        page.navigate("/login");
        page.getByLabel("Username").fill(username);
        page.getByLabel("Password").fill(password);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        return page;
    }

    private static void assertNoSidewaysScrolling(Page page) {
        int overflow = ((Number) page.evaluate("document.documentElement.scrollWidth - window.innerWidth")).intValue();
        Object culprits = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
                + "window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest('.table-wrap'))).slice(0, 5)"
                + ".map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().width))");
        assertThat(overflow).as(page.url() + ": no sideways scrolling of the whole page; too wide: " + culprits).isLessThanOrEqualTo(0);
    }

    private static String dotColor(Page page, String machine) {
        return (String) page.locator("tr[data-machine='" + machine + "'] .dot").evaluate("e => getComputedStyle(e).backgroundColor");
    }

    /** Marks the page's window; {@link #assertNoReload} fails if the page was loaded again since. */
    private static void markNoReload(Page page) {
        page.evaluate("window.__beaconMark = 'still-here'");
    }

    private static void assertNoReload(Page page) {
        assertThat(page.evaluate("window.__beaconMark")).isEqualTo("still-here");
    }

    private Process startAgent(String token, String name) throws Exception {
        Path config = tmp.resolve(name + ".toml");
        Files.deleteIfExists(config);
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.beacon.Main",
                "agent", "run", "--server", server.baseUrl(), "--enrollment-key", token, "--name", name, "--config", config.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        agents.add(process);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(config) || !process.isAlive());
        assertThat(process.isAlive()).as("agent " + name + " is running").isTrue();
        return process;
    }
}
