package dev.beacon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.server.BeaconServer;
import dev.beacon.server.ServerConfig;
import dev.beacon.store.SqliteSpace;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code beacon admin backup} and {@code restore} on SQLite: a copy taken while the server enrolls and queues, put in
 * place in a new data dir with the secret kept apart, serves the same robots and tokens; and the refusals that keep
 * a backup or a database from being overwritten by mistake.
 */
class BackupRestoreTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path temp;

    @Test
    void a_backup_taken_while_the_server_works_restores_its_robots_their_tokens_and_its_sealed_keys() throws Exception {
        Map<String, String> tokens = new HashMap<>();
        Path backup = temp.resolve("beacon-backup.db");
        String keyValue;
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            JsonNode key = server.enrollmentKey(100);
            keyValue = key.get("key_value").asText();
            for (int i = 0; i < 3; i++) {
                TestServer.Response claimed = server.claim(keyValue, "before-" + i);
                assertThat(claimed.status()).isEqualTo(201);
                tokens.put("before-" + i, claimed.json().get("robot_token").asText());
            }
            ExecutorService meanwhile = Executors.newFixedThreadPool(2);
            try {
                List<Future<Integer>> work = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    int n = i;
                    work.add(meanwhile.submit(() -> server.claim(keyValue, "during-" + n).status()));
                    work.add(meanwhile.submit(() -> server.post("/api/jobs", "{\"kind\":\"echo\",\"payload\":\"" + n + "\"}", server.adminKey()).status()));
                }
                TestServer.CliResult result = TestServer.runCli("admin", "backup", "--to", backup.toString(), "--data-dir", server.dataDir().toString());
                assertThat(result.exitCode()).as(result.err()).isZero();
                assertThat(result.out()).contains("Backed up " + server.dataDir().resolve("beacon.db").toAbsolutePath() + " to " + backup.toAbsolutePath())
                        .contains(server.dataDir().resolve("secret.key").toAbsolutePath().toString());
                for (Future<Integer> done : work) {
                    assertThat(done.get()).isIn(201, 202);
                }
            } finally {
                meanwhile.shutdownNow();
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup))).isEqualTo("rw-------");
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + backup); Statement statement = connection.createStatement()) {
                assertThat(SqliteSpace.autoVacuum(statement)).as("the copy gives space back as the original does").isEqualTo(SqliteSpace.INCREMENTAL);
            }

            Path restored = temp.resolve("restored");
            Files.createDirectories(restored);
            Files.copy(server.dataDir().resolve("secret.key"), restored.resolve("secret.key"));
            TestServer.CliResult result = TestServer.runCli("admin", "restore", "--from", backup.toString(), "--data-dir", restored.toString());
            assertThat(result.exitCode()).as(result.err()).isZero();
            assertThat(result.err()).isEmpty();
            assertThat(result.out()).contains("Restored " + backup.toAbsolutePath() + " as " + restored.resolve("beacon.db").toAbsolutePath())
                    .contains("is the one this backup was made with");
            assertThat(restored.resolve(RestoreCommand.STAGING)).doesNotExist();

            try (BeaconServer copy = BeaconServer.start(ServerConfig.defaults(restored).withPort(0).withAdminPassword("test-password"))) {
                List<String> names = new ArrayList<>();
                for (JsonNode robot : get(copy, "/api/robots?limit=100", "X-Beacon-API-Key", server.adminKey()).json().get("items")) {
                    names.add(robot.get("name").asText());
                }
                assertThat(names).contains("before-0", "before-1", "before-2");
                for (String token : tokens.values()) {
                    assertThat(get(copy, "/api/agent/me", "Authorization", "Bearer " + token).status()).isEqualTo(200);
                }
                JsonNode keys = get(copy, "/api/enrollment-keys", "X-Beacon-API-Key", server.adminKey()).json().get("items");
                assertThat(keys.get(0).get("key_value").asText()).as("a sealed value, opened with the kept secret").isEqualTo(keyValue);
            }
        }
    }

    @Test
    void backup_refuses_a_target_that_exists_and_leaves_it_alone() throws Exception {
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            Path existing = Files.writeString(temp.resolve("yesterday.db"), "yesterday's backup", StandardCharsets.UTF_8);

            TestServer.CliResult result = TestServer.runCli("admin", "backup", "--to", existing.toString(), "--data-dir", server.dataDir().toString());

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.err().strip()).startsWith("✗ " + existing.toAbsolutePath() + " already exists; not overwriting it.")
                    .doesNotContain("\n");
            assertThat(Files.readString(existing)).isEqualTo("yesterday's backup");
        }
    }

    @Test
    void backup_on_postgresql_prints_the_pg_dump_command_without_the_password() {
        TestServer.CliResult result = TestServer.runCli("admin", "backup", "--to", "/backups/beacon.dump",
                "--database-url", "jdbc:postgresql://db.example:5433/beacon?user=fleet&password=hunter2");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err().strip()).contains("pg_dump --format=custom --host=db.example --port=5433 --username=fleet "
                + "--file=/backups/beacon.dump beacon").doesNotContain("hunter2").doesNotContain("\n");
    }

    @Test
    void restore_on_postgresql_prints_the_pg_restore_command() {
        TestServer.CliResult result = TestServer.runCli("admin", "restore", "--from", "/backups/beacon.dump",
                "--database-url", "jdbc:postgresql://127.0.0.1/beacon?password=hunter2");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("pg_restore --clean --if-exists --no-owner --host=127.0.0.1 --username=")
                .contains("--dbname=beacon /backups/beacon.dump").doesNotContain("hunter2");
    }

    @Test
    void restore_refuses_while_a_server_holds_the_data_dir_and_an_existing_database_without_force() throws Exception {
        Path backup = temp.resolve("backup.db");
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            assertThat(TestServer.runCli("admin", "backup", "--to", backup.toString(), "--data-dir", server.dataDir().toString()).exitCode()).isZero();

            TestServer.CliResult running = TestServer.runCli("admin", "restore", "--from", backup.toString(), "--data-dir", server.dataDir().toString(),
                    "--force");
            assertThat(running.exitCode()).isEqualTo(1);
            assertThat(running.err().strip()).startsWith("✗ Not restoring: another beacon server").contains("stop it first");

            server.server().close();
            TestServer.CliResult existing = TestServer.runCli("admin", "restore", "--from", backup.toString(), "--data-dir", server.dataDir().toString());
            assertThat(existing.exitCode()).isEqualTo(1);
            assertThat(existing.err().strip()).contains("already holds a database").contains("Add --force");

            TestServer.CliResult forced = TestServer.runCli("admin", "restore", "--from", backup.toString(), "--data-dir", server.dataDir().toString(),
                    "--force");
            assertThat(forced.exitCode()).as(forced.err()).isZero();
            assertThat(server.dataDir().resolve("beacon.db-wal")).doesNotExist();
        }
    }

    @Test
    void restore_refuses_a_file_that_is_not_a_beacon_database_it_can_run() throws Exception {
        Path text = Files.writeString(temp.resolve("notes.txt"), "not a database", StandardCharsets.UTF_8);
        Path foreign = temp.resolve("foreign.db");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + foreign); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)");
        }
        Path future = temp.resolve("future.db");
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            assertThat(TestServer.runCli("admin", "backup", "--to", future.toString(), "--data-dir", server.dataDir().toString()).exitCode()).isZero();
        }
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + future); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, "
                    + "execution_time, success) VALUES (99, '99', 'from the future', 'SQL', 'V99__from_the_future.sql', 0, 'test', 0, 1)");
        }
        Path dataDir = temp.resolve("data");

        assertThat(restore(text, dataDir).err()).contains("is not an SQLite database");
        assertThat(dataDir).doesNotExist();
        assertThat(restore(foreign, dataDir).err()).contains("is an SQLite database but not a Beacon one");
        assertThat(restore(future, dataDir).err()).contains("has schema version 99, newer than this beacon's");
        assertThat(dataDir.resolve("beacon.db")).doesNotExist();
        assertThat(dataDir.resolve(RestoreCommand.STAGING)).doesNotExist();
    }

    @Test
    void compact_refuses_while_the_server_runs_and_compacts_once_it_stopped() {
        try (TestServer server = TestServer.start(Backend.SQLITE)) {
            TestServer.CliResult running = TestServer.runCli("admin", "compact", "--data-dir", server.dataDir().toString());
            assertThat(running.exitCode()).isEqualTo(1);
            assertThat(running.err().strip()).startsWith("✗ Not compacting: another beacon server");

            server.server().close();
            TestServer.CliResult compacted = TestServer.runCli("admin", "compact", "--data-dir", server.dataDir().toString());
            assertThat(compacted.exitCode()).as(compacted.err()).isZero();
            assertThat(compacted.out()).startsWith("Compacted " + server.dataDir().resolve("beacon.db").toAbsolutePath() + ": ");
        }
    }

    private static TestServer.CliResult restore(Path from, Path dataDir) {
        TestServer.CliResult result = TestServer.runCli("admin", "restore", "--from", from.toString(), "--data-dir", dataDir.toString());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err().strip()).startsWith("✗ ").doesNotContain("\n");
        return result;
    }

    private static TestServer.Response get(BeaconServer server, String path, String header, String value) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header(header, value)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new TestServer.Response(response.statusCode(), response.body(), response);
    }
}
