package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.BeaconVersion;
import dev.beacon.cli.ServerCommand;
import dev.beacon.retention.RetentionSettings;
import dev.beacon.store.Database;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The About page over plain HTTP: it needs a sign-in, any member may read it, the footer of every page links to it,
 * and it lists each retention in force (a setting of 0 as "for ever") with the option that sets it and what the last
 * pruning run removed; on PostgreSQL it names the node and never the database's user or password. On JUnit's thread.
 */
class AboutPageTest {
    /** Each kind's row: its {@code data-retention} tag, option and environment variable. */
    private static final List<List<String>> KINDS = List.of(
            List.of("jobs", "--retain-jobs", "BEACON_RETAIN_JOBS"),
            List.of("job_output", "--retain-job-output", "BEACON_RETAIN_JOB_OUTPUT"),
            List.of("audit", "--retain-audit", "BEACON_RETAIN_AUDIT"),
            List.of("connections", "--retain-connections", "BEACON_RETAIN_CONNECTIONS"),
            List.of("robot_tokens", "--retain-robot-tokens", "BEACON_RETAIN_ROBOT_TOKENS"),
            List.of("enrollment_keys", "--retain-enrollment-keys", "BEACON_RETAIN_ENROLLMENT_KEYS"));

    @Test
    void the_page_lists_each_retention_in_force_and_what_the_last_pruning_run_removed() throws Exception {
        RetentionSettings kept = new RetentionSettings(Duration.ofHours(12), Duration.ofDays(7), Duration.ZERO, Duration.ofDays(30),
                Duration.ofDays(45), Duration.ofDays(90));
        try (TestServer server = TestServer.start(Backend.SQLITE, config -> config.withRetention(kept))) {
            HttpResponse<String> signedOut = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/about"))
                    .header("Accept", "text/html").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(signedOut.statusCode()).isEqualTo(303);
            assertThat(signedOut.headers().firstValue("Location")).hasValue("/login?next=%2Fabout");

            try (DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
                assertThat(admin.page("/")).contains("<a href=\"/about\">About</a>");
                String page = admin.page("/about");
                assertThat(page).contains("<h1>About</h1>", "<h2 id=\"about-retention\">Data retention</h2>",
                        "<a href=\"/about\" aria-current=\"page\">About</a>",
                        "data-fact=\"version\">" + BeaconVersion.get() + "<",
                        "data-fact=\"database\">SQLite, " + Database.sqliteFile(Database.sqliteUrl(server.dataDir())) + "<",
                        "This node has not pruned since it started.")
                        .doesNotContain("data-fact=\"node\"", "Nodes sharing the database");
                assertThat(keptFor(page, "jobs")).isEqualTo("12h");
                assertThat(keptFor(page, "job_output")).isEqualTo("7d");
                assertThat(keptFor(page, "audit")).isEqualTo("for ever");
                assertThat(keptFor(page, "connections")).isEqualTo("30d");
                assertThat(keptFor(page, "robot_tokens")).isEqualTo("45d");
                assertThat(keptFor(page, "enrollment_keys")).isEqualTo("90d");
                CommandLine.Model.CommandSpec serverOptions = new CommandLine(new ServerCommand()).getCommandSpec();
                for (List<String> kind : KINDS) {
                    assertThat(row(page, kind.get(0))).contains("<code>" + kind.get(1) + "</code> or <code>" + kind.get(2) + "</code>",
                            "data-removed=\"\"");
                    assertThat(serverOptions.findOption(kind.get(1))).as(kind.get(1)).isNotNull();
                }

                finishedJob(server, Instant.now().minus(Duration.ofDays(2)));
                server.server().pruner().runOnce();
                page = admin.page("/about");
                assertThat(page).contains("This node last pruned <time").doesNotContain("has not pruned");
                assertThat(row(page, "jobs")).contains("data-removed=\"1\"");
                assertThat(row(page, "audit")).contains("data-removed=\"0\"");
            }

            var created = TestServer.runCliWithStdin("viewer-password\n", "admin", "user", "create", "--username", "viewer-user",
                    "--role", "viewer", "--password-stdin", "--data-dir", server.dataDir().toString());
            assertThat(created.exitCode()).as(created.err()).isZero();
            try (DashboardSession viewer = DashboardSession.signIn(server.baseUrl(), "viewer-user", "viewer-password")) {
                assertThat(keptFor(viewer.page("/about"), "audit")).isEqualTo("for ever");
            }
        }
    }

    @Test
    void on_postgresql_the_page_names_the_node_and_the_database_without_its_user_or_password() throws Exception {
        try (TestServer server = TestServer.start(Backend.POSTGRESQL,
                config -> config.withDatabaseUrl(config.databaseUrl() + "&password=never-shown-7f3a"));
             DashboardSession admin = DashboardSession.signIn(server.baseUrl(), "admin", "test-password")) {
            String database = server.databaseUrl().substring("jdbc:postgresql://".length(), server.databaseUrl().indexOf('?'));
            String page = admin.page("/about");
            assertThat(page).contains("data-fact=\"database\">PostgreSQL, " + database + "<",
                    "data-fact=\"node\">" + server.server().node().name() + "<", "Nodes sharing the database take turns")
                    .doesNotContain("never-shown-7f3a", "user=postgres");
            assertThat(keptFor(page, "jobs")).isEqualTo("30d");
            assertThat(keptFor(page, "audit")).isEqualTo("365d");
        }
    }

    @Test
    void a_database_url_is_named_without_credentials_or_parameters() {
        assertThat(AboutPage.database("jdbc:postgresql://beacon:p%40ss@word@db.internal:5432/beacon?sslmode=require&password=x"))
                .isEqualTo("PostgreSQL, db.internal:5432/beacon");
        assertThat(AboutPage.database("jdbc:postgresql:beacon?user=beacon")).isEqualTo("PostgreSQL, beacon");
        assertThat(AboutPage.database("jdbc:sqlite:/var/lib/beacon/beacon.db")).isEqualTo("SQLite, /var/lib/beacon/beacon.db");
    }

    /** The table row of one kind of history. */
    private static String row(String page, String tag) {
        int start = page.indexOf("<tr data-retention=\"" + tag + "\">");
        assertThat(start).as("row " + tag).isNotNegative();
        return page.substring(start, page.indexOf("</tr>", start));
    }

    private static String keptFor(String page, String tag) {
        String row = row(page, tag);
        int start = row.indexOf("data-kept=\"") + "data-kept=\"".length();
        return row.substring(start, row.indexOf('"', start));
    }

    /** A job that finished at {@code at}, written straight into the SQLite database: the API cannot backdate one. */
    private static void finishedJob(TestServer server, Instant at) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("busy_timeout", "10000");
        try (Connection connection = DriverManager.getConnection(Database.sqliteUrl(server.dataDir()), properties);
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO jobs (id, org_id, kind, payload, timeout_s, max_attempts, attempts, status, output, created_at,
                                       queued_at, assigned_at, started_at, finished_at, updated_at)
                     SELECT 'job_old_about', id, 'echo', '{}', 300, 3, 1, 'succeeded', 'done', ?, ?, ?, ?, ?, ? FROM organizations
                     WHERE name = 'default'""")) {
            for (int i = 1; i <= 6; i++) {
                insert.setLong(i, at.toEpochMilli());
            }
            assertThat(insert.executeUpdate()).isEqualTo(1);
        }
    }
}
