package dev.beacon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code beacon admin} works only on a database the server made, and says where it looked when it is not one. */
class AdminSchemaTest {
    private static final String HOW = ". Point this command at the server's database with --data-dir DIR or --database-url URL, "
            + "or the variables the server reads, BEACON_DATA_DIR and BEACON_DATABASE_URL.";

    @TempDir
    Path temp;

    @ParameterizedTest
    @EnumSource(Backend.class)
    void admin_refuses_a_place_without_a_beacon_database_and_creates_nothing_there(Backend backend) throws Exception {
        Path dataDir = temp.resolve("forgotten");
        String url = backend.createDatabase(dataDir);
        try {
            TestServer.CliResult result = TestServer.runCli("admin", "api-key", "create", "--name", "ci", "--data-dir", dataDir.toString(),
                    "--database-url", url == null ? "" : url);
            assertThat(result.exitCode()).isEqualTo(1);
            String where = url == null
                    ? dataDir.resolve("beacon.db").toAbsolutePath() + " (--data-dir " + dataDir + ")"
                    : "the PostgreSQL database " + url + " (--database-url)";
            assertThat(result.err().strip()).isEqualTo("✗ There is no Beacon database at " + where + HOW);
            if (url == null) {
                assertThat(dataDir).doesNotExist();
            } else {
                try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement();
                     ResultSet tables = statement.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
                    tables.next();
                    assertThat(tables.getInt(1)).as("tables created").isZero();
                }
            }
        } finally {
            Backend.dropDatabase(url);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void admin_refuses_a_schema_older_or_newer_than_its_own_and_migrates_nothing(Backend backend) throws Exception {
        try (TestServer server = TestServer.start(backend)) { // its admin key came from `beacon admin` beside the running server
            String url = server.databaseUrl().isEmpty() ? "jdbc:sqlite:" + server.dataDir().resolve("beacon.db") : server.databaseUrl();
            String latest;
            try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
                latest = single(statement, "SELECT version FROM flyway_schema_history WHERE installed_rank = (SELECT max(installed_rank) FROM flyway_schema_history)");
                String where = server.databaseUrl().isEmpty()
                        ? server.dataDir().resolve("beacon.db").toAbsolutePath() + " (--data-dir " + server.dataDir() + ")"
                        : "the PostgreSQL database " + url + " (--database-url)";

                statement.execute("DELETE FROM flyway_schema_history WHERE version = '" + latest + "'");
                String older = single(statement, "SELECT version FROM flyway_schema_history WHERE installed_rank = (SELECT max(installed_rank) FROM flyway_schema_history)");
                TestServer.CliResult refused = createKey(server);
                assertThat(refused.exitCode()).isEqualTo(1);
                assertThat(refused.err().strip()).isEqualTo("✗ The Beacon database at " + where + " has schema version " + older
                        + ", this beacon's is " + latest + " (run this version's `beacon server` on it once to migrate it)" + HOW);
                assertThat(single(statement, "SELECT count(*) FROM flyway_schema_history WHERE version = '" + latest + "'"))
                        .as("admin migrated").isEqualTo("0");

                statement.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, "
                        + "execution_time, success) VALUES (99, '99', 'from the future', 'SQL', 'V99__from_the_future.sql', 0, 'test', 0, "
                        + (server.databaseUrl().isEmpty() ? "1" : "true") + ")");
                TestServer.CliResult newer = createKey(server);
                assertThat(newer.exitCode()).isEqualTo(1);
                assertThat(newer.err().strip()).isEqualTo("✗ The Beacon database at " + where + " has schema version 99, this beacon's is "
                        + latest + " (a newer Beacon migrated it: use that version's beacon admin)" + HOW);
            }
        }
    }

    private static TestServer.CliResult createKey(TestServer server) {
        return TestServer.runCli("admin", "api-key", "create", "--name", "ci", "--data-dir", server.dataDir().toString(),
                "--database-url", server.databaseUrl());
    }

    private static String single(Statement statement, String sql) throws Exception {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
