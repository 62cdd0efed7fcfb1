package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCommandTest {
    @TempDir
    Path tmp;
    Path config;
    FakeBeaconServer server;

    @BeforeEach
    void start() {
        server = FakeBeaconServer.start();
        config = tmp.resolve("roboflare/agent.toml");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String key() {
        return TokenFormat.generate(TokenKind.ENROLLMENT).value();
    }

    void saveEnrolledConfig() {
        AgentConfigFile.at(config).write(new AgentConfig(server.baseUrl(), server.robotId(), server.robotToken(), "bot-1",
                "default", "warehouse-a", "dock-2", null, Map.of(), Map.of()));
    }

    @Test
    void enroll_reads_a_piped_key_and_prints_each_step() throws Exception {
        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", server.baseUrl(), "--name", "bot-1",
                "--config", config.toString(), "--no-start", "--label", "zone=a");

        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("Enter enrollment token: \n"
                + "Enrolling with organization...\n"
                + "✓ Enrollment successful!\n"
                + "✓ Credentials saved to " + config.toAbsolutePath() + "\n");
        AgentConfig saved = AgentConfigFile.at(config).read().orElseThrow();
        assertThat(saved.robotToken()).isEqualTo(server.robotToken());
        assertThat(saved.name()).isEqualTo("bot-1");
        assertThat(saved.labels()).containsEntry("zone", "a");
        assertThat(Files.readString(config)).as("the socket URL is derived from server, never saved").doesNotContain("websocket_url");
        assertThat(server.lastEnrollBody().path("labels").path("zone").asText()).isEqualTo("a");
    }

    @Test
    void run_enrolls_prints_the_steps_and_connects() throws Exception {
        AgentCli.Result result = AgentCli.run("run", "--server", server.baseUrl(), "--enrollment-key", key(), "--name", "bot-1",
                "--config", config.toString(), "--once-connected-exit");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("Enrolling with organization...\n"
                + "✓ Enrollment successful!\n"
                + "✓ Credentials saved to " + config.toAbsolutePath() + "\n"
                + "✓ Starting agent...\n"
                + "✓ Connected as bot-1 (session s-1)");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        assertThat(server.awaitFrame("hello").path("hostname").asText()).isNotBlank();
    }

    @Test
    void run_with_a_saved_token_does_not_enroll_again_and_says_so() {
        saveEnrolledConfig();

        AgentCli.Result result = AgentCli.run("run", "--enrollment-key", key(), "--config", config.toString(), "--once-connected-exit");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("Already enrolled as bot-1 (robot r_fake1); ignoring --enrollment-key. Delete "
                + config.toAbsolutePath() + " to re-enroll.\n");
        assertThat(server.lastEnrollBody()).isNull();
    }

    @Test
    void run_with_a_truncated_key_says_so_and_never_reaches_for_the_network() {
        String key = key();

        AgentCli.Result result = AgentCli.run("run", "--server", "http://127.0.0.1:1", "--enrollment-key",
                key.substring(0, 40), "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ The enrollment key is not valid: it looks truncated (40 of 82 characters)"
                + " — copy the full key (it was not sent to the server).\n");
        assertThat(result.out()).isEmpty();
        assertThat(config).doesNotExist();
    }

    @Test
    void run_against_an_unreachable_server_names_it_in_one_line() {
        AgentCli.Result result = AgentCli.run("run", "--server", "http://127.0.0.1:1", "--enrollment-key", key(),
                "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ Cannot reach the server at http://127.0.0.1:1: connection refused"
                + " — check the --server URL and that the server is running.\n");
    }

    @Test
    void run_with_nothing_saved_and_no_key_fails_in_one_line() {
        AgentCli.Result result = AgentCli.run("run", "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("✗ Not enrolled yet: " + config.toAbsolutePath()).endsWith("`beacon agent run --enroll --server URL` to be asked for a key.\n");
        assertThat(result.err().lines()).hasSize(1);
    }

    @Test
    void run_exits_3_when_the_server_refuses_the_saved_token() {
        saveEnrolledConfig();
        server.refuseUpgrades(401, "robot_token_revoked");

        AgentCli.Result result = AgentCli.run("run", "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.err()).startsWith("✗ The server refused this robot's token").contains("delete " + config.toAbsolutePath());
    }

    @Test
    void enroll_reads_the_key_from_a_file_without_prompting() throws Exception {
        String key = key();
        Path keyFile = tmp.resolve("enrollment-key");
        Files.writeString(keyFile, key + "\n");

        AgentCli.Result result = AgentCli.run("enroll", "--server", server.baseUrl(), "--name", "bot-1",
                "--config", config.toString(), "--no-start", "--enrollment-key-file", keyFile.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).doesNotContain("Enter enrollment token").startsWith("Enrolling with organization...\n");
        assertThat(server.lastEnrollBody().path("enrollment_key").asText()).isEqualTo(key);
        assertThat(AgentConfigFile.at(config).read().orElseThrow().robotToken()).isEqualTo(server.robotToken());
    }

    @Test
    void enroll_with_a_missing_or_empty_key_file_fails_in_one_line_before_the_network() throws Exception {
        Path missing = tmp.resolve("no-such-key");
        Path empty = Files.writeString(tmp.resolve("empty-key"), "\n");

        AgentCli.Result unreadable = AgentCli.run("enroll", "--server", server.baseUrl(), "--config", config.toString(),
                "--no-start", "--enrollment-key-file", missing.toString());
        AgentCli.Result blank = AgentCli.run("enroll", "--server", server.baseUrl(), "--config", config.toString(),
                "--no-start", "--enrollment-key-file", empty.toString());

        assertThat(unreadable.exitCode()).isEqualTo(1);
        assertThat(unreadable.err()).startsWith("✗ Cannot read the enrollment key from " + missing + ": NoSuchFileException")
                .hasLineCount(1);
        assertThat(blank.exitCode()).isEqualTo(1);
        assertThat(blank.err()).isEqualTo("✗ No enrollment key in " + empty + ": its first line is empty.\n");
        assertThat(server.lastEnrollBody()).as("nothing reached the server").isNull();
        assertThat(config).doesNotExist();
    }

    @Test
    void enroll_refuses_to_enroll_twice() {
        saveEnrolledConfig();

        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", server.baseUrl(), "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("✗ Already enrolled as bot-1 (robot r_fake1). Delete " + config.toAbsolutePath()
                + " to re-enroll.\n");
    }

    @Test
    void enroll_with_a_taken_name_suggests_replace() {
        server.enrollAnswers(409, "{\"status\":409,\"code\":\"robot_name_taken\",\"detail\":\"taken\"}");

        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", server.baseUrl(), "--name", "bot-1",
                "--config", config.toString(), "--no-start");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("\"bot-1\" is taken").contains("--replace");
    }

    @Test
    void enroll_keeps_handlers_provisioned_before_enrollment() throws Exception {
        Files.createDirectories(config.getParent());
        Files.writeString(config, "[handlers.backup]\ncommand = [\"/usr/local/bin/backup.sh\"]\ntimeout_s = 60\n");

        AgentCli.Result result = AgentCli.withStdin(key() + "\n", "enroll", "--server", server.baseUrl(), "--config",
                config.toString(), "--no-start");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(AgentConfigFile.at(config).read().orElseThrow().handlers()).containsKey("backup");
        assertThat(server.lastEnrollBody().path("capabilities").toString()).isEqualTo("[\"echo\",\"sleep\",\"backup\"]");
    }

    @Test
    void status_shows_what_is_saved_with_the_token_masked_and_that_the_server_accepts_it() {
        saveEnrolledConfig();

        AgentCli.Result result = AgentCli.run("status", "--config", config.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .contains("Server:       " + server.baseUrl())
                .contains("Name:         bot-1")
                .contains("Robot ID:     r_fake1")
                .contains("Fleet:        dock-2")
                .contains("Token:        " + TokenFormat.mask(server.robotToken()))
                .contains("Server says:  token accepted (robot r_fake1, offline)")
                .doesNotContain(server.robotToken());
    }

    @Test
    void status_reports_a_refused_token_with_its_code_and_exits_3_like_the_agent() {
        saveEnrolledConfig();
        server.refuseUpgrades(401, "robot_removed");

        AgentCli.Result result = AgentCli.run("status", "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.out()).contains("Server says:  token refused (robot_removed)");
    }

    @Test
    void status_says_when_the_server_is_unreachable_and_exits_1() {
        saveEnrolledConfig();
        server.close();

        AgentCli.Result result = AgentCli.run("status", "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).contains("Server says:  unknown — Cannot reach the server at " + server.baseUrl());
    }

    @Test
    void status_without_a_saved_token_exits_1() {
        AgentCli.Result result = AgentCli.run("status", "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("✗ Not enrolled: " + config.toAbsolutePath());
    }

    @Test
    void rotate_token_saves_the_new_token_and_the_old_one_stops_working() {
        saveEnrolledConfig();
        String oldToken = server.robotToken();

        AgentCli.Result result = AgentCli.run("rotate-token", "--config", config.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        String saved = AgentConfigFile.at(config).read().orElseThrow().robotToken();
        assertThat(saved).isNotEqualTo(oldToken);
        // The fake switches tokens when it reads the ack, which may be a moment after the CLI has returned.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.robotToken().equals(saved));
        assertThat(result.out()).startsWith("✓ Robot token rotated (now " + TokenFormat.mask(saved) + ")").doesNotContain(saved);
    }

    @Test
    void rotate_token_says_a_rotate_only_hello_first_so_the_running_agent_keeps_its_session() throws Exception {
        saveEnrolledConfig();
        server.requireHello(true);

        AgentCli.Result result = AgentCli.run("rotate-token", "--config", config.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        String saved = AgentConfigFile.at(config).read().orElseThrow().robotToken();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.robotToken().equals(saved));
        JsonNode hello = server.awaitFrame("hello");
        assertThat(hello.path("purpose").asText()).isEqualTo("rotate-token");
        assertThat(hello.has("capabilities")).isFalse();
    }

    @Test
    void rotate_token_with_a_refused_token_exits_3() {
        saveEnrolledConfig();
        server.refuseUpgrades(403, "forbidden");

        AgentCli.Result result = AgentCli.run("rotate-token", "--config", config.toString());

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.err()).startsWith("✗ The server refused this robot's token");
    }
}
