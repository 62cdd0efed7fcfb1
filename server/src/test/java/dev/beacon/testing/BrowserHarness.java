package dev.beacon.testing;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's Chromium driven by Playwright, for dashboard tests. Playwright never downloads a browser here
 * ({@code PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1}, set by the build). Without {@code /usr/bin/chromium} a local run skips
 * the browser tests with a message; under CI (env {@code CI} set) that fails them instead, since CI installs it.
 */
public final class BrowserHarness implements AutoCloseable {
    public static final Path CHROMIUM = Paths.get(System.getenv().getOrDefault("BEACON_TEST_CHROMIUM", "/usr/bin/chromium"));
    private static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic");

    private final Playwright playwright;
    private final Browser browser;

    private BrowserHarness(Playwright playwright, Browser browser) {
        this.playwright = playwright;
        this.browser = browser;
    }

    public static BrowserHarness launch() {
        if (!Files.isExecutable(CHROMIUM)) {
            String message = "Chromium not found at " + CHROMIUM + " (apt-get install chromium)";
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(message + "; CI never skips the browser tests");
            }
            Assumptions.abort(message + ": skipping the browser tests.");
        }
        Playwright playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(java.util.Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        Browser browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(CHROMIUM).setHeadless(true).setArgs(FLAGS));
        return new BrowserHarness(playwright, browser);
    }

    /** A fresh browser profile (no cookies) pointed at {@code baseUrl}, with a laptop-sized window. */
    public BrowserContext context(String baseUrl) {
        return context(baseUrl, 1280, 860);
    }

    public BrowserContext context(String baseUrl, int width, int height) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setBaseURL(baseUrl).setViewportSize(width, height)
                .setLocale("en-US").setTimezoneId("UTC"));
        context.setDefaultTimeout(15_000);
        return context;
    }

    /**
     * Saves a full-page screenshot as {@code name}.png under target/screenshots, and under the folder named by
     * {@code BEACON_SCREENSHOTS} when set (docs/images, to refresh the README's pictures).
     */
    public static void screenshot(Page page, String name) {
        try {
            Path target = Paths.get("target", "screenshots");
            Files.createDirectories(target);
            page.screenshot(new Page.ScreenshotOptions().setPath(target.resolve(name + ".png")).setFullPage(true));
            String docs = System.getenv("BEACON_SCREENSHOTS");
            if (docs != null && !docs.isBlank()) {
                Path dir = Paths.get(docs);
                Files.createDirectories(dir);
                Files.copy(target.resolve(name + ".png"), dir.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
