package dev.beacon.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.apikeys.ApiKeyService;
import dev.beacon.audit.AuditLog;
import dev.beacon.cluster.ClusterNode;
import dev.beacon.enrollment.EnrollmentService;
import dev.beacon.jobs.JobService;
import dev.beacon.orgs.OrgService;
import dev.beacon.retention.Pruner;
import dev.beacon.retention.RetentionSettings;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.RobotService;
import dev.beacon.robots.RobotStore;
import dev.beacon.users.UserStore;
import dev.beacon.web.ApiError;
import dev.beacon.web.PublicUrl;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The web dashboard: registers its pages (one class each: {@link SignInPage}, {@link ApiManagementPage},
 * {@link MachinesPage}, {@link MachinePages}, {@link JobPages}, {@link SitesPage}, {@link AuditPages}, {@link NodesPage}, {@link AboutPage}),
 * the live-update stream and the headers every dashboard answer carries, and renders its error pages. Pages need a signed-in session; actions also
 * need the session's CSRF token and a role that allows them ({@link Guards}), and call the same services as the JSON
 * API, so a change is checked and audited alike whichever way it was made. Everything the pages load is served by
 * Beacon itself. Built once at start; its handlers run on Javalin's request threads. Thread-safe.
 */
public final class DashboardRoutes {
    /** The most rows a dashboard list shows (keys, tokens, machines, sites, fleets). */
    static final int LIST_LIMIT = 500;

    /** The services the dashboard drives: the same ones behind the JSON API. */
    public record Services(UserStore users, ApiKeyService apiKeys, EnrollmentService enrollment, OrgService orgs, RobotStore robots,
                           RobotService robotService, PresenceStore presence, JobService jobs, AuditLog audit) {
    }

    private final DashboardAuth auth;
    private final LiveFeed live;
    private final Views views;
    private final SignInPage signInPage;
    private final ApiManagementPage managementPage;
    private final MachinesPage machinesPage;
    private final MachinePages machinePages;
    private final JobPages jobPages;
    private final SitesPage sitesPage;
    private final AuditPages auditPages;
    private final NodesPage nodesPage;
    private final ApiReferencePage apiReferencePage;
    private final AboutPage aboutPage;

    /**
     * {@code node} is this server as a node; {@code sharedDatabase} is true when other nodes may serve the same
     * database (PostgreSQL), false on SQLite. {@code retention} says how long job history and the audit log are kept,
     * which the pages that show them mention; the About page lists it with what {@code pruner} last removed, and names
     * the database of {@code databaseUrl} (the JDBC URL in effect). {@code heartbeatInterval} is the agents' heartbeat
     * interval: the machine pages call a connected machine unresponsive after two of them without one.
     */
    public DashboardRoutes(Services services, DashboardAuth auth, SessionStore sessions, SignIn signIn, LiveFeed live,
                           DashboardReads reads, ObjectMapper json, Clock clock, PublicUrl publicUrl, ClusterNode node,
                           boolean sharedDatabase, RetentionSettings retention, Pruner pruner, String databaseUrl,
                           Duration heartbeatInterval) {
        this.auth = auth;
        this.live = live;
        Flash flash = new Flash();
        PageKit kit = new PageKit(new Guards(auth, flash), new Views(), flash, services.users(), clock,
                new NodeFacts(reads, node, sharedDatabase));
        this.views = kit.views();
        this.signInPage = new SignInPage(auth, sessions, signIn, kit);
        this.machinesPage = new MachinesPage(services, new MachineSearch(reads.database()), kit, heartbeatInterval);
        this.machinePages = new MachinePages(services, reads, kit, machinesPage, retention.jobs());
        this.managementPage = new ApiManagementPage(services, machinesPage, kit, publicUrl);
        this.jobPages = new JobPages(services, reads, kit, json);
        this.sitesPage = new SitesPage(services, reads, kit);
        this.auditPages = new AuditPages(services.audit(), reads, kit, retention.audit());
        this.nodesPage = new NodesPage(kit);
        this.apiReferencePage = new ApiReferencePage(kit);
        this.aboutPage = new AboutPage(kit, retention, pruner, databaseUrl);
    }

    public void register(RoutesConfig routes) {
        // Every dashboard answer (pages, fragments, redirects, error and 404 pages) gets the security headers and
        // no-store: pages show new secrets (API keys, enrollment tokens) that no cache may keep. Runs before any route,
        // matched or not; the API, the agent socket and the assets keep headers of their own.
        routes.before(ctx -> {
            String path = ctx.path();
            if (!path.startsWith("/api/") && !path.startsWith("/assets/") && !path.equals("/api")) {
                Guards.securityHeaders(ctx);
                ctx.header("Cache-Control", "no-store");
            }
        });
        routes.before("/events", ctx -> {
            if (auth.session(ctx).isEmpty()) {
                throw ApiError.unauthorized("Sign in to the dashboard to receive live updates.");
            }
        });
        routes.sse("/events", client -> {
            client.ctx().header("Cache-Control", "no-store");
            client.ctx().header("X-Accel-Buffering", "no");
            auth.session(client.ctx()).ifPresentOrElse(s -> live.watch(s.orgId(), client), client::close);
        });
        signInPage.register(routes);
        managementPage.register(routes);
        machinesPage.register(routes);
        machinePages.register(routes);
        jobPages.register(routes);
        sitesPage.register(routes);
        auditPages.register(routes);
        nodesPage.register(routes);
        apiReferencePage.register(routes);
        aboutPage.register(routes);
    }

    /** The HTML answer for a refusal or error on a dashboard page (the JSON API keeps problem JSON). */
    public void renderError(Context ctx, ApiError error) {
        Map<String, Object> params = new HashMap<>();
        params.put("status", error.status());
        params.put("code", error.code());
        params.put("message", error.detail());
        params.put("signedIn", auth.session(ctx).isPresent());
        views.render(ctx, "error.jte", params);
        ctx.status(error.status());
        if (error.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Long.toString(error.retryAfterSeconds()));
        }
    }
}
