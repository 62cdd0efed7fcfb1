package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.beacon.agent.AgentConfig;
import dev.beacon.agent.AgentConfigFile;
import dev.beacon.agent.HandlerConfig;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BrowserHarness;
import dev.beacon.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job page's Output panel in a real browser (Debian's Chromium) against a real server and a real agent process
 * whose handler prints a line every 100 ms for 3 s: the lines show while the job runs, in order, none lost, stderr apart,
 * and they stay when the job's section refreshes at its end and after a reload.
 */
class JobOutputBrowserTest {
    private static final int LINES = 30;

    @TempDir
    Path tmp;
    private TestServer server;
    private BrowserHarness browser;
    private BrowserContext context;
    private Process agent;

    @BeforeEach
    void start() {
        browser = BrowserHarness.launch();
        server = TestServer.start(Backend.SQLITE, config -> config.withHeartbeatInterval(1));
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (context != null) {
            context.close();
        }
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A real {@code beacon agent run} process enrolled as {@code name}, with a handler {@code kind} running {@code command}. */
    private String startAgent(String name, String kind, String... command) throws Exception {
        JsonNode enrolled = server.claim(server.enrollmentKey(1).get("key_value").asText(), name).json();
        String robotId = enrolled.get("robot_id").asText();
        Path config = tmp.resolve(name + ".toml");
        AgentConfigFile.at(config).write(new AgentConfig(server.baseUrl(), robotId, enrolled.get("robot_token").asText(), name,
                null, null, null, null, Map.of(), Map.of(kind, new HandlerConfig(List.of(command), null))));
        agent = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.beacon.Main", "agent", "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile()).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !agent.isAlive()
                || "online".equals(server.get("/api/robots/" + robotId, server.adminKey()).json().path("status").asText()));
        assertThat(agent.isAlive()).as("agent " + name + " is running: " + java.nio.file.Files.readString(tmp.resolve(name + ".log"))).isTrue();
        return robotId;
    }

    private Page signIn() {
        context = browser.context(server.baseUrl(), 1280, 900);
        Page page = context.newPage();
        page.navigate("/login");
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password").fill("test-password");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        PlaywrightAssertions.assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("API Management"))).isVisible();
        return page;
    }

    private String status(String jobId) {
        return server.get("/api/jobs/" + jobId, server.adminKey()).json().path("status").asText();
    }

    @Test
    void a_job_printing_a_line_every_100_ms_shows_its_lines_while_it_runs_in_order_and_none_lost() throws Exception {
        String robotId = startAgent("printer", "ticker", "sh", "-c",
                "i=1; while [ $i -le " + LINES + " ]; do echo \"line $i\"; i=$((i+1)); sleep 0.1; done; echo 'warning: almost done' >&2");
        Page page = signIn();
        String jobId = server.post("/api/jobs", "{\"kind\":\"ticker\",\"timeout_s\":60,\"target\":{\"robot_id\":\"" + robotId + "\"}}",
                server.adminKey()).json().get("id").asText();
        page.navigate("/jobs/" + jobId);
        page.evaluate("window.__outputMark = 'same-page'");
        Locator output = page.getByTestId("live-output");

        PlaywrightAssertions.assertThat(output).containsText("line 5");
        assertThat(status(jobId)).as("the lines show while the job runs").isIn("assigned", "running");
        assertThat(output.textContent()).doesNotContain("line " + LINES + "\n");
        BrowserHarness.screenshot(page, "job-live-output");

        String expected = IntStream.rangeClosed(1, LINES).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining())
                + "warning: almost done\n";
        PlaywrightAssertions.assertThat(page.locator("[data-job-output][data-ended=succeeded]")).hasCount(1);
        assertThat(output.textContent()).as("every line once, in order").isEqualTo(expected);
        PlaywrightAssertions.assertThat(page.locator("[data-job-status]")).hasAttribute("data-job-status", "succeeded");
        assertThat(output.textContent()).as("the live refresh of the job's section kept the panel").isEqualTo(expected);
        assertThat(page.evaluate("window.__outputMark")).isEqualTo("same-page");
        Locator stderr = output.locator(".out-stderr");
        assertThat(stderr.textContent()).isEqualTo("warning: almost done\n");
        String stderrColor = (String) stderr.evaluate("e => getComputedStyle(e).color");
        String stdoutColor = (String) output.locator(".out-stdout").first().evaluate("e => getComputedStyle(e).color");
        assertThat(stderrColor).as("stderr looks different").isNotEqualTo(stdoutColor);
        PlaywrightAssertions.assertThat(page.locator("[data-output-state]")).containsText("The job ended (succeeded)");

        page.reload();
        PlaywrightAssertions.assertThat(page.locator("[data-job-output][data-ended=succeeded]")).hasCount(1);
        assertThat(page.getByTestId("live-output").textContent()).as("kept after the job ended").isEqualTo(expected);
    }
}
