package dev.beacon.dashboard;

import dev.beacon.BeaconVersion;
import dev.beacon.retention.Kind;
import dev.beacon.retention.Pruner;
import dev.beacon.retention.RetentionSettings;
import dev.beacon.store.Database;
import io.javalin.config.RoutesConfig;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The About page ({@code /about}), for any signed-in member: the Beacon version, the database (never its user name or
 * password), the node on PostgreSQL and when this server started, and the retention in force, one row per kind of
 * history with the option that sets it and what this node's last pruning run removed. The settings are this node's
 * own; nodes sharing a database are meant to be started alike. Its handler runs on Javalin's request threads.
 * Thread-safe.
 */
final class AboutPage {
    private final PageKit kit;
    private final RetentionSettings retention;
    private final Pruner pruner;
    private final String database;
    private final Instant startedAt;

    /** {@code databaseUrl} is the JDBC URL in effect; built as the server starts, which is when it says it started. */
    AboutPage(PageKit kit, RetentionSettings retention, Pruner pruner, String databaseUrl) {
        this.kit = kit;
        this.retention = retention;
        this.pruner = pruner;
        this.database = database(databaseUrl);
        this.startedAt = kit.clock().instant();
    }

    void register(RoutesConfig routes) {
        routes.get("/about", kit.guards().page((ctx, s) -> kit.views().render(ctx, "about.jte",
                Map.of("chrome", kit.chromeWithFlash(s, "about", "About"), "v", view()))));
    }

    private Views.AboutView view() {
        NodeFacts nodes = kit.nodes();
        Optional<Pruner.LastRun> last = pruner.lastRun();
        List<Views.RetentionRow> rows = Arrays.stream(Kind.values()).map(kind -> new Views.RetentionRow(kind.tag(), what(kind),
                RetentionSettings.describe(kind.keptFor(retention)), "--retain-" + kind.tag().replace('_', '-'),
                "BEACON_RETAIN_" + kind.tag().toUpperCase(Locale.ROOT), last.map(run -> run.rows().get(kind)).orElse(null))).toList();
        return new Views.AboutView(BeaconVersion.get(), database, nodes.shared() ? nodes.thisNodeName() : null, startedAt, rows,
                last.map(Pruner.LastRun::at).orElse(null), nodes.shared(), kit.clock().instant());
    }

    /**
     * The database as the page names it: "SQLite, /var/lib/beacon/beacon.db" or "PostgreSQL, db.internal:5432/beacon",
     * without the user name, password or any other parameter of the URL.
     */
    static String database(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return "SQLite, " + Database.sqliteFile(jdbcUrl);
        }
        String rest = jdbcUrl.substring(jdbcUrl.indexOf(':', "jdbc:".length()) + 1);
        rest = rest.startsWith("//") ? rest.substring(2) : rest;
        int query = rest.indexOf('?');
        rest = query < 0 ? rest : rest.substring(0, query);
        return "PostgreSQL, " + rest.substring(rest.lastIndexOf('@') + 1);
    }

    /** The kind of history in the words of the page. */
    private static String what(Kind kind) {
        return switch (kind) {
            case JOBS -> "Finished jobs";
            case JOB_OUTPUT -> "Job output";
            case AUDIT -> "Audit events";
            case CONNECTIONS -> "Connection history";
            case ROBOT_TOKENS -> "Revoked or expired machine tokens";
            case ENROLLMENT_KEYS -> "Revoked or expired enrollment keys";
        };
    }
}
