package dev.beacon.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a script sees when {@code beacon} cannot do what it was asked: one {@code error: <detail> (<code>)} line on
 * stderr, nothing on stdout, and the documented exit code. Real processes against a real server (SQLite: these
 * answers do not depend on the database).
 */
class OpsCliErrorsTest {
    @TempDir
    Path tmp;
    TestServer server;
    CliProcess beacon;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(Backend.SQLITE);
        beacon = new CliProcess(Files.createDirectories(tmp.resolve("xdg")))
                .env("BEACON_SERVER", server.baseUrl()).env("BEACON_API_KEY", server.adminKey());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void a_wrong_key_is_refused_with_exit_4_and_login_saves_nothing() {
        String unknown = server.adminKey().substring(0, 7) + "0".repeat(64);
        String wellFormed = unknown + String.format("%08x", crc32(unknown));

        CliProcess.Result login = beacon.env("BEACON_API_KEY", wellFormed).run("login", "--server", server.baseUrl());

        assertThat(login.exitCode()).isEqualTo(4);
        assertThat(login.errLines()).singleElement().asString().startsWith("error: This API key is not known").endsWith("(unauthorized)");
        assertThat(login.out()).isEmpty();
        assertThat(tmp.resolve("xdg/beacon/cli.toml")).doesNotExist();
    }

    @Test
    void an_unknown_id_is_exit_3_and_a_refused_action_is_exit_1() {
        CliProcess.Result unknown = beacon.run("jobs", "show", "job_0000000000000000000000");
        assertThat(unknown.exitCode()).isEqualTo(3);
        assertThat(unknown.errLines()).containsExactly("error: No job with that id in this organization (not_found)");

        server.post("/api/sites", "{\"name\":\"warehouse-a\"}", server.adminKey());
        CliProcess.Result taken = beacon.run("sites", "create", "--name", "warehouse-a");
        assertThat(taken.exitCode()).isEqualTo(1);
        assertThat(taken.errLines()).containsExactly("error: A site named warehouse-a already exists in this organization (conflict)");
        assertThat(taken.out()).isEmpty();
    }

    @Test
    void a_server_that_is_down_is_exit_1_with_one_clear_line() {
        CliProcess.Result down = beacon.run("machines", "list", "--server", "http://127.0.0.1:9");

        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.errLines()).singleElement().asString()
                .startsWith("error: cannot reach the server at http://127.0.0.1:9").endsWith("(server_unreachable)");
    }

    @Test
    void a_usage_mistake_is_exit_2_and_waiting_on_a_cancelled_job_is_exit_130() throws Exception {
        CliProcess.Result usage = beacon.run("jobs", "submit", "--payload", "{}");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required option: '--kind=<kind>'");

        // No machine runs "backup": the job waits in the queue until cancelled, and has no exit code of its own.
        JsonNode job = server.post("/api/jobs", "{\"kind\":\"backup\"}", server.adminKey()).json();
        server.post("/api/jobs/" + job.get("id").asText() + "/cancel", "", server.adminKey());
        CliProcess.Result waited = beacon.run("jobs", "wait", job.get("id").asText(), "-o", "json");
        assertThat(waited.exitCode()).isEqualTo(130);
        assertThat(TestServer.JSON.readTree(waited.out()).get("status").asText()).isEqualTo("cancelled");
        assertThat(waited.err()).contains(job.get("id").asText() + ": cancelled: cancelled while queued");
    }

    @Test
    void completion_prints_a_bash_script_that_knows_the_operator_commands() {
        CliProcess.Result bash = beacon.run("completion", "bash");

        assertThat(bash.exitCode()).isZero();
        assertThat(bash.out()).contains("complete -F _complete_beacon").contains("machines").contains("rotate-token")
                .contains("--idempotency-key");
    }

    private static long crc32(String text) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return crc.getValue();
    }
}
