package dev.beacon.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;

/**
 * The schema version a database has against the one this build knows, from Flyway's history: the refusal of a
 * schema newer than this build's (at start, and for a backup being restored) and of any other version than this
 * build's (for {@code beacon admin}, which never migrates). Throws {@link Database.SchemaMismatch}. Stateless.
 */
public final class SchemaVersions {
    private static final String MIGRATIONS = "classpath:db/migration";
    /**
     * The versions of this build's migrations ({@code db/migration/V<version>__…sql}), for {@link #upToDate}. A new
     * migration is added here too; {@code SchemaVersionsTest} fails until it is.
     */
    static final List<String> VERSIONS = List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14");

    private SchemaVersions() {
    }

    /** Flyway on {@code dataSource} with this build's migrations. */
    static Flyway flyway(DataSource dataSource) {
        return Flyway.configure().dataSource(dataSource).locations(MIGRATIONS).load();
    }

    /**
     * Whether the database has exactly this build's migrations applied, all of them successfully: then there is
     * nothing to migrate nor refuse, and the server opens it without Flyway, whose start (loading its classes and
     * scanning the jar for migrations) took about 0.35 s of a 2.3 s start. One read of Flyway's history table;
     * false when there is none yet, or anything else is found there (Flyway then decides, as it always did). Unlike
     * Flyway's own check, this one does not compare the applied migrations' checksums: a released build's
     * migrations never change, and any build with a new migration goes through Flyway.
     */
    static boolean upToDate(DataSource dataSource) {
        Set<String> applied = new HashSet<>();
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL")) {
            while (rows.next()) {
                if (!rows.getBoolean(2) || !applied.add(rows.getString(1))) {
                    return false;
                }
            }
        } catch (SQLException e) {
            return false; // no history table yet: a new database
        }
        return applied.equals(Set.copyOf(VERSIONS));
    }

    /**
     * Refuses, before migrating, a schema a newer Beacon has migrated past this build's last migration: during a
     * rolling upgrade an old node must not run against tables it does not know (Flyway would otherwise ignore the
     * "future" migrations and start).
     */
    static void refuseNewer(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        MigrationInfo current = info.current();
        MigrationVersion known = knownVersion(info);
        if (current != null && current.getVersion() != null && known != null && current.getVersion().compareTo(known) > 0) {
            throw new Database.SchemaMismatch(current.getVersion().toString(), known.toString(), true);
        }
    }

    private static MigrationVersion knownVersion(MigrationInfoService info) {
        return Arrays.stream(info.all())
                .filter(migration -> migration.getVersion() != null && !migration.getState().name().startsWith("FUTURE"))
                .map(MigrationInfo::getVersion)
                .max(Comparator.naturalOrder())
                .orElse(null);
    }

    /**
     * The schema version of the SQLite database file {@code file}, for {@code beacon admin restore}; opens it without
     * migrating or changing anything. Throws {@link Database.SchemaMismatch} when it has no Beacon schema or one newer than
     * this build's; an older one is fine, the server migrates it at its next start.
     */
    public static String restorable(Path file) {
        Flyway flyway = Flyway.configure()
                .dataSource("jdbc:sqlite:" + file.toAbsolutePath(), null, null)
                .locations(MIGRATIONS)
                .load();
        refuseNewer(flyway);
        MigrationInfoService info = flyway.info();
        MigrationInfo current = info.current();
        if (current == null || current.getVersion() == null) {
            MigrationVersion known = knownVersion(info);
            throw new Database.SchemaMismatch(null, known == null ? null : known.toString(), false);
        }
        return current.getVersion().toString();
    }

    /** Refuses a database without this build's schema version: no history table, or another latest migration. */
    static void requireCurrent(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        MigrationInfo current = info.current();
        MigrationVersion expected = knownVersion(info);
        String expectedText = expected == null ? null : expected.toString();
        if (current == null || current.getVersion() == null) {
            throw new Database.SchemaMismatch(null, expectedText, false);
        }
        if (!current.getVersion().equals(expected)) {
            throw new Database.SchemaMismatch(current.getVersion().toString(), expectedText,
                    expected == null || current.getVersion().compareTo(expected) > 0);
        }
    }
}
