package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.beacon.store.Database;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Nodes of one database must share the server secret, and a node refuses a schema newer than its own. */
class SecretKeyCheckTest {
    private static final String KEY_A = "a".repeat(64);
    private static final String KEY_B = "b".repeat(64);
    private final List<String> databases = new ArrayList<>();

    @AfterEach
    void dropDatabases() {
        databases.forEach(Backend::dropDatabase);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void a_node_with_another_secret_refuses_to_start_with_one_line(Backend backend) throws Exception {
        Path dataDir = Files.createTempDirectory("beacon-secret-");
        ServerConfig config = config(backend, dataDir);
        writeSecret(dataDir, KEY_A);
        BeaconServer.start(config).close();
        writeSecret(dataDir, KEY_B);

        assertThatThrownBy(() -> BeaconServer.start(config)).isInstanceOf(SecretKeyCheck.Mismatch.class)
                .hasMessageContaining("BEACON_SECRET_KEY").hasMessageNotContaining(KEY_A).hasMessageNotContaining(KEY_B);
        TestServer.CliResult cli = TestServer.runCli(cliArgs(config));
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.err().strip()).startsWith("✗ Beacon could not start: this node's server secret is not the one")
                .doesNotContain("\n").doesNotContain("Exception");

        writeSecret(dataDir, KEY_A);
        BeaconServer.start(config).close(); // the right key starts again
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void a_database_without_a_fingerprint_adopts_the_current_key(Backend backend) throws Exception {
        Path dataDir = Files.createTempDirectory("beacon-secret-");
        ServerConfig config = config(backend, dataDir);
        writeSecret(dataDir, KEY_A);
        BeaconServer.start(config).close();
        execute(config, "DELETE FROM secret_key_fingerprint"); // as a database from before the fingerprint

        writeSecret(dataDir, KEY_B);
        BeaconServer.start(config).close();
        writeSecret(dataDir, KEY_A);
        assertThatThrownBy(() -> BeaconServer.start(config)).isInstanceOf(SecretKeyCheck.Mismatch.class);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void a_node_refuses_a_schema_a_newer_beacon_migrated(Backend backend) throws Exception {
        Path dataDir = Files.createTempDirectory("beacon-schema-");
        ServerConfig config = config(backend, dataDir);
        BeaconServer.start(config).close();
        execute(config, "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, "
                + "execution_time, success) VALUES (999, '999', 'future', 'SQL', 'V999__future.sql', 0, 'test', 0, true)");

        assertThatThrownBy(() -> BeaconServer.start(config)).isInstanceOf(Database.SchemaMismatch.class)
                .satisfies(e -> assertThat(((Database.SchemaMismatch) e).newer()).isTrue());
        TestServer.CliResult cli = TestServer.runCli(cliArgs(config));
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.err().strip()).startsWith("✗ Beacon could not start: the database has schema version 999, newer than this beacon's")
                .doesNotContain("\n");
    }

    private ServerConfig config(Backend backend, Path dataDir) {
        String url = backend.createDatabase(dataDir);
        if (url != null) {
            databases.add(url);
        }
        return ServerConfig.defaults(dataDir).withPort(0).withDatabaseUrl(url).withAdminPassword("test-password");
    }

    private static String[] cliArgs(ServerConfig config) {
        List<String> args = new ArrayList<>(List.of("server", "--port", "0", "--data-dir", config.dataDir().toString()));
        if (config.databaseUrl() != null) {
            args.addAll(List.of("--database-url", config.databaseUrl()));
        }
        return args.toArray(String[]::new);
    }

    private static void writeSecret(Path dataDir, String hex) throws Exception {
        Files.writeString(dataDir.resolve("secret.key"), hex + "\n", StandardCharsets.US_ASCII);
    }

    private static void execute(ServerConfig config, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(config.effectiveDatabaseUrl())) {
            connection.createStatement().execute(sql);
        }
    }
}
