package dev.beacon.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * The operator's reference flow, each step a real {@code beacon} process against a real server: log in, make a site,
 * a fleet and an enrollment key, enroll a real agent process with the printed key, see it online, run a job to its
 * handler's exit code, revoke and remove.
 */
@BeaconTest
class OpsCliFlowTest {
    static final Duration WAIT = Duration.ofSeconds(60);

    @Parameter
    Backend backend;

    @TempDir
    Path tmp;
    TestServer server;

    @Test
    void an_operator_enrolls_a_machine_and_runs_a_job_to_its_handlers_exit_code_with_the_cli_alone() throws Exception {
        Path configHome = Files.createDirectories(tmp.resolve("xdg"));
        CliProcess beacon = new CliProcess(configHome);

        // login: the key from BEACON_API_KEY, checked against the server, saved 0600; later runs need no env at all
        CliProcess.Result login = beacon.env("BEACON_API_KEY", server.adminKey()).run("login", "--server", server.baseUrl());
        assertThat(login.exitCode()).as(login.err()).isZero();
        Path saved = configHome.resolve("beacon/cli.toml");
        assertThat(Files.getPosixFilePermissions(saved)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(saved)).contains(server.adminKey()).contains(server.baseUrl());
        beacon.env("BEACON_API_KEY", null);

        CliProcess.Result site = beacon.run("sites", "create", "--name", "warehouse-a");
        assertThat(site.exitCode()).as(site.err()).isZero();
        String siteId = site.out().strip();
        assertThat(siteId).startsWith("site_");

        CliProcess.Result fleet = beacon.run("fleets", "create", "--site", siteId, "--name", "dock-1");
        assertThat(fleet.exitCode()).as(fleet.err()).isZero();
        String fleetId = fleet.out().strip();

        CliProcess.Result token = beacon.run("tokens", "create", "--fleet", fleetId, "--name", "batch-1", "--max-uses", "5");
        assertThat(token.exitCode()).as(token.err()).isZero();
        assertThat(token.out()).contains("curl -fsSL " + server.baseUrl() + "/install.sh | sudo sh -s -- --name \"$(hostname)\"");
        Matcher key = Pattern.compile("rf_enroll_[0-9a-f]{72}").matcher(token.out());
        assertThat(key.find()).as(token.out()).isTrue();
        JsonNode keys = TestServer.JSON.readTree(beacon.run("tokens", "list", "-o", "json").out());
        String keyId = keys.get(0).get("id").asText();
        assertThat(keys.get(0).get("key_value").asText()).isEqualTo(key.group());

        // A real agent process, with a handler that exits 7 staged in its agent.toml before it enrolls.
        Path agentConfig = tmp.resolve("agent.toml");
        Files.writeString(agentConfig, "[handlers.exit7]\ncommand = [\"sh\", \"-c\", \"echo seven; exit 7\"]\n");
        ProcessBuilder agentBuilder = CliProcess.builder("agent", "run", "--config", agentConfig.toString(),
                "--server", server.baseUrl(), "--name", "bot-1");
        agentBuilder.environment().put("BEACON_ENROLLMENT_KEY", key.group());
        Process agent = agentBuilder.redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile()).start();
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode robots = server.get("/api/robots?status=online", server.adminKey()).json().get("items");
                return robots.size() == 1;
            });
            CliProcess.Result machines = beacon.run("machines", "list", "--fleet", fleetId, "--label", "nope=x", "-o", "json");
            assertThat(TestServer.JSON.readTree(machines.out())).as("--label filters").isEmpty();
            machines = beacon.run("machines", "list", "--status", "online", "-o", "json");
            JsonNode online = TestServer.JSON.readTree(machines.out());
            assertThat(online).hasSize(1);
            assertThat(online.get(0).get("name").asText()).isEqualTo("bot-1");
            assertThat(online.get(0).get("status").asText()).isEqualTo("online");
            String robotId = online.get(0).get("id").asText();

            CliProcess.Result job = beacon.run("jobs", "submit", "--kind", "exit7", "--target", "fleet=" + fleetId,
                    "--payload", "{\"n\":1}", "--timeout", "1m", "--wait");
            assertThat(job.exitCode()).as("the handler's exit code; stderr: " + job.err()).isEqualTo(7);
            String jobId = job.out().strip();
            assertThat(jobId).startsWith("job_");
            assertThat(job.err()).as("progress names the machine; the job may end before a poll sees it running")
                    .contains(jobId + ": failed on bot-1 (" + robotId + "), exit code 7");

            JsonNode shown = TestServer.JSON.readTree(beacon.run("jobs", "show", jobId, "-o", "json").out());
            assertThat(shown.get("exit_code").asInt()).isEqualTo(7);
            assertThat(shown.get("output").asText()).isEqualTo("seven\n");

            CliProcess.Result revoke = beacon.run("tokens", "revoke", keyId, "--cascade");
            assertThat(revoke.exitCode()).as(revoke.err()).isZero();
            assertThat(agent.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(agent.exitValue()).as("the agent stops with 3 once its token is revoked").isEqualTo(3);

            CliProcess.Result remove = beacon.run("machines", "remove", robotId);
            assertThat(remove.exitCode()).as(remove.err()).isZero();
            CliProcess.Result gone = beacon.run("machines", "show", robotId);
            assertThat(gone.exitCode()).isEqualTo(3);
            assertThat(gone.errLines()).containsExactly("error: No robot with that id in this organization (not_found)");
        } finally {
            agent.destroyForcibly();
        }
    }
}
