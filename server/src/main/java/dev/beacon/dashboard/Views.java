package dev.beacon.dashboard;

import dev.beacon.apikeys.ApiKey;
import dev.beacon.audit.AuditEvent;
import dev.beacon.enrollment.EnrollmentKey;
import dev.beacon.jobs.Job;
import dev.beacon.jobs.QueueFigures;
import dev.beacon.orgs.Fleet;
import dev.beacon.orgs.Site;
import dev.beacon.robots.Robot;
import dev.beacon.users.UserStore;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's templates (jte, compiled at build time from {@code src/main/jte}) and the immutable models they
 * render. Every value is HTML-escaped by jte according to where it lands. Thread-safe.
 */
public final class Views {
    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

    /** Renders {@code template} with named parameters as the response. */
    public void render(Context ctx, String template, Map<String, Object> params) {
        StringOutput output = new StringOutput();
        engine.render(template, params, output);
        ctx.contentType("text/html; charset=utf-8").result(output.toString());
    }

    /**
     * What every page shows around its content: who is signed in, where, the navigation and a one-time message;
     * {@code cluster} when other server nodes may share the database (PostgreSQL), for the Nodes link.
     */
    public record Chrome(Session session, List<UserStore.Membership> orgs, String active, String title, Flash.Message flash,
                         Instant now, boolean cluster) {
        public String csrf() {
            return session.csrfToken();
        }

        public boolean canOperate() {
            return session.role().canOperate();
        }

        public boolean canAdminister() {
            return session.role().canAdminister();
        }
    }

    /** Site and fleet names by id. */
    public record Places(Map<String, String> sites, Map<String, String> fleets) {
        public String site(String id) {
            return id == null ? "—" : sites.getOrDefault(id, id);
        }

        public String fleet(String id) {
            return id == null ? "—" : fleets.getOrDefault(id, id);
        }
    }

    /** The API keys, with each key's requests over the last seven days (day → count, oldest first). */
    public record ApiKeysView(List<ApiKey> keys, Map<String, Map<String, Long>> lastWeek, Instant now) {
        public long requestsLastWeek(String keyId) {
            return lastWeek.getOrDefault(keyId, Map.of()).values().stream().mapToLong(Long::longValue).sum();
        }

        /** "2026-11-20: 14, 2026-11-21: 3", for a tooltip. */
        public String perDay(String keyId) {
            var days = lastWeek.getOrDefault(keyId, Map.of());
            return days.isEmpty() ? "No requests in the last 7 days" : days.entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
        }
    }

    public record TokensView(List<EnrollmentKey> tokens, List<Site> sites, List<Fleet> fleets, Places places, Instant now,
                             InstallCommands install) {
    }

    public record ManagementView(ApiKeysView apiKeys, TokensView tokens, MachineSummaryView machines, QueueFigures queue) {
    }

    /**
     * The server nodes, for admins: {@code thisNodeId} is the node that rendered the page; {@code shared} is false on
     * SQLite, where this server is the only node.
     */
    public record NodesView(List<DashboardReads.NodeRow> nodes, String thisNodeId, boolean shared, Instant now) {
        public long alive() {
            return nodes.stream().filter(DashboardReads.NodeRow::alive).count();
        }

        public long agentsConnected() {
            return nodes.stream().mapToLong(DashboardReads.NodeRow::agentsConnected).sum();
        }
    }

    /**
     * The About page: this server ({@code node} is its name on PostgreSQL, null on SQLite where it is the only node)
     * and the retention in force; {@code lastPruned} is when this node last pruned, null when it has not since it
     * started; {@code shared} as in {@link NodesView}.
     */
    public record AboutView(String version, String database, String node, Instant startedAt, List<RetentionRow> retention,
                            Instant lastPruned, boolean shared, Instant now) {
    }

    /**
     * One kind of history on the About page: {@code keptFor} as {@code --retain-…} reads ("30d", "for ever"), the option
     * and environment variable that set it, and the rows this node's last pruning run removed (null: no run yet).
     */
    public record RetentionRow(String tag, String what, String keptFor, String flag, String env, Long lastRemoved) {
    }

    public record JobsView(List<DashboardReads.JobRow> jobs, Map<String, String> robotNames, String status, String kind, String robotId,
                           String olderCursor, String query, List<Robot> robots, List<Site> sites, List<Fleet> fleets, Places places,
                           Instant now) {
        public boolean filtered() {
            return status != null || kind != null || robotId != null;
        }
    }

    /**
     * A job's page; {@code submittedBy} names who submitted it ("user admin", "API key ci-pipeline"), {@code target} says
     * in words which machines may run it ({@link TargetWords}).
     */
    public record JobDetailView(Job job, String waitingReason, String robotName, Places places, String payload, String output,
                                String submittedBy, Instant now, String target) {
    }

    public record SitesView(List<Site> sites, List<Fleet> fleets, Map<String, Long> machinesPerFleet) {
        public List<Fleet> fleetsOf(String siteId) {
            return fleets.stream().filter(fleet -> fleet.siteId().equals(siteId)).toList();
        }
    }

    /**
     * One page of an audit log, newest first: the organization's ({@code instance} false) or the events that belong to
     * no organization ({@code instance} true, for instance admins).
     */
    /**
     * {@code kept}: how long audit events are kept ({@code --retain-audit}); zero: for ever. {@code actorNames}: the
     * names of the events' actors and objects (and of the enrollment tokens behind enrollments), by id.
     */
    public record AuditView(List<AuditEvent> events, Map<String, String> actorNames, String action, String olderCursor, Instant now,
                            boolean instance, Duration kept) {
        /** The page's own path, for its filter form and its "older" link. */
        public String path() {
            return instance ? "/instance/audit" : "/audit";
        }

        /** Who did it, by name where known ({@link AuditWords#actor}). */
        public String actor(AuditEvent event) {
            return AuditWords.actor(event, actorNames);
        }

        /** What it was done to, by name where known ({@link AuditWords#object}). */
        public String object(AuditEvent event) {
            return AuditWords.object(event, actorNames);
        }
    }
}
