package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.beacon.testing.Backend;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The check that lets an up-to-date database open without Flyway: it must agree with Flyway on this build's
 * migrations, and send everything else (a new database, a missing, failed or unknown migration) through Flyway.
 */
class SchemaVersionsTest {
    @TempDir
    Path dir;
    private String created;

    @AfterEach
    void dropDatabase() {
        Backend.dropDatabase(created);
    }

    private String database(Backend backend) {
        created = backend.createDatabase(dir);
        return created == null ? Database.sqliteUrl(dir) : created;
    }

    @Test
    void theBuildsVersionsAreTheMigrationsFlywayFinds() {
        Flyway flyway = Flyway.configure().dataSource("jdbc:sqlite:" + dir.resolve("empty.db"), null, null)
                .locations("classpath:db/migration").load();
        assertThat(Arrays.stream(flyway.info().all()).map(MigrationInfo::getVersion).map(Object::toString))
                .as("SchemaVersions.VERSIONS lists every migration in db/migration")
                .containsExactlyElementsOf(SchemaVersions.VERSIONS);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void onlyADatabaseWithExactlyThisBuildsMigrationsIsUpToDate(Backend backend) throws SQLException {
        String url = database(backend);
        try (HikariDataSource pool = pool(url)) {
            assertThat(SchemaVersions.upToDate(pool)).as("a new database").isFalse();
            Database.open(url).close();
            assertThat(SchemaVersions.upToDate(pool)).as("migrated by this build").isTrue();

            execute(url, "UPDATE flyway_schema_history SET success = false WHERE version = '3'");
            assertThat(SchemaVersions.upToDate(pool)).as("a failed migration").isFalse();
            execute(url, "UPDATE flyway_schema_history SET success = true WHERE version = '3'");

            execute(url, "UPDATE flyway_schema_history SET version = '999' WHERE version = '"
                    + SchemaVersions.VERSIONS.getLast() + "'");
            assertThat(SchemaVersions.upToDate(pool)).as("a newer build's migration instead of the last one").isFalse();
            assertThatThrownBy(() -> Database.open(url).close()).as("Flyway still refuses it")
                    .isInstanceOf(Database.SchemaMismatch.class);
        }
    }

    @Test
    void anOlderDatabaseIsMigratedOnOpen() {
        String url = database(Backend.SQLITE);
        String previous = SchemaVersions.VERSIONS.get(SchemaVersions.VERSIONS.size() - 2);
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target(previous).load().migrate();
        try (HikariDataSource pool = pool(url)) {
            assertThat(SchemaVersions.upToDate(pool)).as("at the previous release's schema").isFalse();
            Database.open(url).close();
            assertThat(SchemaVersions.upToDate(pool)).as("migrated on open").isTrue();
        }
    }

    private static HikariDataSource pool(String url) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(url);
        pool.setMaximumPoolSize(1);
        return pool;
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
