package dev.beacon.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * axe-core, the accessibility checker, run inside a dashboard page. The build downloads it from the npm registry into
 * target/axe-core (server/pom.xml); {@link #install} adds it to every page of a browser context as an init script,
 * which the dashboard's Content-Security-Policy does not block (a script tag would be). For tests; stateless.
 */
final class AxeCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the build puts axe-core; surefire passes it as {@code beacon.test.axe}. */
    static final Path SCRIPT = Path.of(System.getProperty("beacon.test.axe", "target/axe-core/package/axe.min.js"));
    private static final String RUN = """
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return JSON.stringify(result.violations);
            }""";

    private AxeCheck() {
    }

    /** Makes axe-core available on every page {@code context} opens from now on. */
    static void install(BrowserContext context) {
        if (!Files.isReadable(SCRIPT)) {
            throw new IllegalStateException(SCRIPT.toAbsolutePath() + " is missing: the build's generate-test-resources phase downloads "
                    + "axe-core (run the tests through Maven)");
        }
        context.addInitScript(SCRIPT);
    }

    /**
     * The serious and critical violations axe finds on the page as it is now, one readable line per rule with up to
     * five of the elements at fault; empty when there is none.
     */
    static List<String> seriousViolations(Page page, String where) {
        try {
            JsonNode violations = JSON.readTree((String) page.evaluate(RUN));
            List<String> found = new ArrayList<>();
            for (JsonNode violation : violations) {
                String impact = violation.path("impact").asText();
                if (!impact.equals("serious") && !impact.equals("critical")) {
                    continue;
                }
                StringBuilder line = new StringBuilder(where + ": " + impact + " " + violation.path("id").asText() + " — "
                        + violation.path("help").asText() + " (" + violation.path("nodes").size() + " elements)");
                int shown = 0;
                for (JsonNode node : violation.path("nodes")) {
                    if (shown++ == 5) {
                        break;
                    }
                    line.append("\n      ").append(node.path("target")).append(": ")
                            .append(node.path("failureSummary").asText().replace("\n", " "));
                }
                found.add(line.toString());
            }
            return found;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("axe's answer is not JSON", e);
        }
    }
}
