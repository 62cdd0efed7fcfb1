package dev.beacon.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.apikeys.ApiKeyService;
import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.enrollment.EnrollmentKey;
import dev.beacon.enrollment.EnrollmentService;
import dev.beacon.jobs.Job;
import dev.beacon.jobs.JobRequest;
import dev.beacon.jobs.JobService;
import dev.beacon.orgs.Fleet;
import dev.beacon.orgs.OrgStore;
import dev.beacon.orgs.Site;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotService;
import dev.beacon.robots.RobotStore;
import dev.beacon.users.UserStore;
import dev.beacon.web.ApiError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The web dashboard: server-rendered pages, the fragments they refresh live, and the form actions behind their
 * buttons. Pages need a signed-in session; actions also need the session's CSRF token and a role that allows them,
 * and answer with a redirect back to the page (post/redirect/get) carrying a one-time {@link Flash} message.
 * Everything the pages load is served by Beacon itself. Thread-safe.
 */
public final class DashboardRoutes {
    private static final int LIST_LIMIT = 500;
    private static final int JOBS_PAGE = 50;
    private static final Set<String> MACHINE_STATUSES = Set.of(Robot.ONLINE, Robot.BUSY, Robot.OFFLINE, "paused");

    /** The services the dashboard drives: the same ones behind the JSON API. */
    public record Services(UserStore users, ApiKeyService apiKeys, EnrollmentService enrollment, OrgStore orgs, RobotStore robots,
                           RobotService robotService, PresenceStore presence, JobService jobs, AuditLog audit) {
    }

    private final Services services;
    private final DashboardAuth auth;
    private final SessionStore sessions;
    private final SignIn signIn;
    private final LiveFeed live;
    private final DashboardReads reads;
    private final AuditPages audit;
    private final Views views = new Views();
    private final Flash flash = new Flash();
    private final ObjectMapper json;
    private final Clock clock;

    public DashboardRoutes(Services services, DashboardAuth auth, SessionStore sessions, SignIn signIn, LiveFeed live,
                           DashboardReads reads, ObjectMapper json, Clock clock) {
        this.services = services;
        this.auth = auth;
        this.sessions = sessions;
        this.signIn = signIn;
        this.live = live;
        this.reads = reads;
        this.audit = new AuditPages(services.audit(), reads, clock);
        this.json = json;
        this.clock = clock;
    }

    private interface Page {
        void handle(Context ctx, Session session) throws Exception;
    }

    public void register(RoutesConfig routes) {
        // Every dashboard answer (pages, fragments, redirects, error and 404 pages) gets the security headers and
        // no-store: pages show new secrets (API keys, enrollment tokens) that no cache may keep. Runs before any route,
        // matched or not; the API, the agent socket and the assets keep headers of their own.
        routes.before(ctx -> {
            String path = ctx.path();
            if (!path.startsWith("/api/") && !path.startsWith("/assets/") && !path.equals("/api")) {
                securityHeaders(ctx);
                ctx.header("Cache-Control", "no-store");
            }
        });
        routes.get("/login", this::loginPage);
        routes.post("/login", this::login);
        routes.post("/logout", action((ctx, s) -> {
            sessions.close(s.id());
            auth.clearCookie(ctx);
            ctx.redirect("/login?signed_out=1", HttpStatus.SEE_OTHER);
        }));
        routes.get("/", page(this::management));
        routes.get("/machines/{id}", page(this::machinePage));
        routes.get("/jobs", page(this::jobsPage));
        routes.get("/jobs/{id}", page(this::jobPage));
        routes.get("/sites", page(this::sitesPage));
        routes.get("/audit", page((ctx, s) -> views.render(ctx, "audit.jte", Map.of("chrome", chromeWithFlash(s, "audit", "Audit log"),
                "v", audit.organization(ctx, s)))));
        routes.get("/instance/audit", page((ctx, s) -> views.render(ctx, "audit.jte", Map.of("v", audit.instance(ctx, s),
                "chrome", chromeWithFlash(s, "instance-audit", "Instance audit log")))));

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

        routes.get("/fragments/apikeys", fragment((ctx, s) -> views.render(ctx, "partials/apikeys.jte",
                Map.of("v", apiKeysView(s), "chrome", chrome(s, "management", "")))));
        routes.get("/fragments/tokens", fragment((ctx, s) -> views.render(ctx, "partials/tokens.jte",
                Map.of("v", tokensView(s, setup(s)), "chrome", chrome(s, "management", "")))));
        routes.get("/fragments/machines", fragment((ctx, s) -> views.render(ctx, "partials/machines.jte", Map.of("v", machinesView(ctx, s, setup(s))))));
        routes.get("/fragments/queue", fragment((ctx, s) -> views.render(ctx, "partials/queue.jte",
                Map.of("q", services.jobs().figures(s.orgId())))));
        routes.get("/fragments/machines/{id}", fragment((ctx, s) -> views.render(ctx, "partials/machine_live.jte",
                Map.of("v", machineView(s, ctx.pathParam("id")), "chrome", chrome(s, "machines", "")))));
        routes.get("/fragments/jobs", fragment((ctx, s) -> views.render(ctx, "partials/jobs_table.jte", Map.of("v", jobsView(ctx, s)))));
        routes.get("/fragments/jobs/{id}", fragment((ctx, s) -> views.render(ctx, "partials/job_live.jte",
                Map.of("v", jobView(s, ctx.pathParam("id")), "chrome", chrome(s, "jobs", "")))));
        routes.get("/fragments/audit", fragment((ctx, s) -> views.render(ctx, "partials/audit_table.jte", Map.of("v", audit.organization(ctx, s)))));
        routes.get("/ui/enrollment-tokens/{id}/value", fragment(this::tokenValue));

        routes.post("/ui/org", action(this::switchOrganization));
        routes.post("/ui/api-keys", action(this::createApiKey));
        routes.post("/ui/api-keys/{id}/revoke", action(this::revokeApiKey));
        routes.post("/ui/enrollment-tokens", action(this::createToken));
        routes.post("/ui/enrollment-tokens/{id}/revoke", action(this::revokeToken));
        routes.post("/ui/machines/{id}/pause", action((ctx, s) -> setPaused(ctx, s, true)));
        routes.post("/ui/machines/{id}/resume", action((ctx, s) -> setPaused(ctx, s, false)));
        routes.post("/ui/machines/{id}/rotate-token", action(this::rotateToken));
        routes.post("/ui/machines/{id}/remove", action(this::removeMachine));
        routes.post("/ui/jobs", action(this::submitJob));
        routes.post("/ui/jobs/{id}/cancel", action(this::cancelJob));
        routes.post("/ui/sites", action(this::createSite));
        routes.post("/ui/fleets", action(this::createFleet));
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

    // ---- wrappers ----------------------------------------------------------------------------------------------

    private io.javalin.http.Handler page(Page page) {
        return ctx -> {
            var session = auth.session(ctx);
            if (session.isEmpty()) {
                String next = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
                ctx.redirect("/login?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
                return;
            }
            securityHeaders(ctx);
            page.handle(ctx, session.get());
        };
    }

    private io.javalin.http.Handler fragment(Page page) {
        return ctx -> {
            var session = auth.session(ctx);
            if (session.isEmpty()) {
                ctx.header("HX-Redirect", "/login");
                throw ApiError.unauthorized("Your session has ended; sign in again.");
            }
            securityHeaders(ctx);
            ctx.header("Cache-Control", "no-store");
            page.handle(ctx, session.get());
        };
    }

    /**
     * A form action: signed in, CSRF token checked, then run; a refusal from the service becomes a one-time error
     * message on the page the form came from.
     */
    private io.javalin.http.Handler action(Page action) {
        return ctx -> {
            var session = auth.session(ctx);
            if (session.isEmpty()) {
                ctx.redirect("/login", HttpStatus.SEE_OTHER);
                return;
            }
            auth.requireCsrf(ctx, session.get());
            try {
                action.handle(ctx, session.get());
            } catch (dev.beacon.errors.DomainException refused) {
                flash.put(session.get().id(), Flash.Message.error(refused.detail()));
                ctx.redirect(back(ctx, "/"), HttpStatus.SEE_OTHER);
            } catch (ApiError error) {
                if (error.status() == 403 && "csrf_failed".equals(error.code())) {
                    throw error;
                }
                flash.put(session.get().id(), Flash.Message.error(error.detail()));
                ctx.redirect(back(ctx, "/"), HttpStatus.SEE_OTHER);
            }
        };
    }

    private static void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("X-Frame-Options", "DENY");
    }

    /** Where to go after an action: the form's {@code back} field when it is a path on this server, else {@code fallback}. */
    private static String back(Context ctx, String fallback) {
        String back = ctx.formParam("back");
        if (back != null && back.startsWith("/") && !back.startsWith("//") && !back.startsWith("/\\") && back.length() < 500
                && back.chars().noneMatch(c -> c < 0x20)) {
            return back;
        }
        return fallback;
    }

    private Views.Chrome chrome(Session session, String active, String title) {
        return new Views.Chrome(session, services.users().memberships(session.userId()), active, title, null, clock.instant());
    }

    private Views.Chrome chromeWithFlash(Session session, String active, String title) {
        return new Views.Chrome(session, services.users().memberships(session.userId()), active, title, flash.take(session.id()),
                clock.instant());
    }

    private void requireOperator(Session session) {
        if (!session.role().canOperate()) {
            throw ApiError.forbidden("You are a viewer in " + session.orgName() + "; ask an admin for the operator role to do this.");
        }
    }

    private void requireAdmin(Session session) {
        if (!session.role().canAdminister()) {
            throw ApiError.forbidden("Only admins of " + session.orgName() + " can do this; you are " + session.role().label() + ".");
        }
    }

    private Actor actor(Context ctx, Session session) {
        return new Actor("user", session.userId(), ctx.ip());
    }

    // ---- sign-in -----------------------------------------------------------------------------------------------

    private void loginPage(Context ctx) {
        securityHeaders(ctx);
        if (auth.session(ctx).isPresent()) {
            ctx.redirect(safeNext(ctx.queryParam("next")), HttpStatus.SEE_OTHER);
            return;
        }
        Map<String, Object> params = new HashMap<>();
        params.put("error", null);
        params.put("notice", ctx.queryParam("signed_out") != null ? "You are signed out." : null);
        params.put("username", "");
        params.put("next", safeNext(ctx.queryParam("next")));
        views.render(ctx, "login.jte", params);
    }

    private void login(Context ctx) {
        securityHeaders(ctx);
        auth.requireOurOrigin(ctx); // no signing a victim's browser into the attacker's account from another site
        String username = ctx.formParam("username");
        String next = safeNext(ctx.formParam("next"));
        try {
            SessionStore.Opened opened = signIn.signIn(username, ctx.formParam("password"), ctx.ip(), ctx.userAgent());
            auth.setCookie(ctx, opened.token());
            ctx.redirect(next, HttpStatus.SEE_OTHER);
        } catch (ApiError refused) {
            Map<String, Object> params = new HashMap<>();
            params.put("error", refused.detail());
            params.put("notice", null);
            params.put("username", username == null ? "" : username);
            params.put("next", next);
            if (refused.retryAfterSeconds() != null) {
                ctx.header("Retry-After", Long.toString(refused.retryAfterSeconds()));
            }
            views.render(ctx, "login.jte", params);
            ctx.status(refused.status());
        }
    }

    private static String safeNext(String next) {
        if (next != null && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") && !next.startsWith("/login")
                && next.length() < 500 && next.chars().noneMatch(c -> c < 0x20)) {
            return next;
        }
        return "/";
    }

    private void switchOrganization(Context ctx, Session session) {
        String orgId = ctx.formParam("org_id");
        var membership = services.users().memberships(session.userId()).stream().filter(m -> m.orgId().equals(orgId)).findFirst()
                .orElseThrow(() -> ApiError.forbidden("You are not a member of that organization."));
        sessions.switchOrganization(session.id(), membership.orgId());
        flash.put(session.id(), Flash.Message.notice("Switched to " + membership.orgName() + " (you are " + membership.role() + " there)."));
        ctx.redirect("/", HttpStatus.SEE_OTHER);
    }

    // ---- API Management ----------------------------------------------------------------------------------------

    private void management(Context ctx, Session session) {
        Setup setup = setup(session);
        Views.ManagementView view = new Views.ManagementView(apiKeysView(session), tokensView(session, setup), machinesView(ctx, session, setup),
                services.jobs().figures(session.orgId()));
        views.render(ctx, "management.jte", Map.of("chrome", chromeWithFlash(session, "management", "API Management"), "v", view));
    }

    private Views.ApiKeysView apiKeysView(Session session) {
        var keys = services.apiKeys().list(session.orgId(), null, LIST_LIMIT).stream()
                .sorted((a, b) -> Boolean.compare(a.isRevoked(), b.isRevoked()) != 0 ? Boolean.compare(a.isRevoked(), b.isRevoked())
                        : b.createdAt().compareTo(a.createdAt()))
                .toList();
        String weekAgo = java.time.LocalDate.ofInstant(clock.instant(), java.time.ZoneOffset.UTC).minusDays(6).toString();
        Map<String, Map<String, Long>> lastWeek = new HashMap<>();
        for (var key : keys) {
            if (key.lastUsedAt() != null) {
                Map<String, Long> days = new LinkedHashMap<>();
                services.apiKeys().usage(session.orgId(), key.id()).stream().filter(day -> day.day().compareTo(weekAgo) >= 0)
                        .forEach(day -> days.put(day.day(), day.requests()));
                lastWeek.put(key.id(), days);
            }
        }
        return new Views.ApiKeysView(keys, lastWeek, clock.instant());
    }

    private Views.TokensView tokensView(Session session, Setup setup) {
        Instant now = clock.instant();
        List<EnrollmentKey> tokens = new ArrayList<>(services.enrollment().list(session.orgId(), null, LIST_LIMIT));
        // Usable tokens first, newest first within each group.
        tokens.sort((a, b) -> {
            int active = Boolean.compare(!"active".equals(a.status(now)), !"active".equals(b.status(now)));
            return active != 0 ? active : b.createdAt().compareTo(a.createdAt());
        });
        return new Views.TokensView(tokens, setup.sites(), setup.fleets(), setup.places(), now);
    }

    /** The organization's sites and fleets, for forms and filters, and their names by id. */
    private record Setup(List<Site> sites, List<Fleet> fleets, Views.Places places) {
    }

    private Setup setup(Session session) {
        List<Site> sites = services.orgs().sites(session.orgId(), null, LIST_LIMIT);
        List<Fleet> fleets = services.orgs().fleets(session.orgId(), null, null, LIST_LIMIT);
        return new Setup(sites, fleets, new Views.Places(sites.stream().collect(Collectors.toMap(Site::id, Site::name)),
                fleets.stream().collect(Collectors.toMap(Fleet::id, Fleet::name))));
    }

    private Views.MachinesView machinesView(Context ctx, Session session, Setup setup) {
        String status = choice(ctx.queryParam("status"), MACHINE_STATUSES);
        String siteId = blankToNull(ctx.queryParam("site_id"));
        String fleetId = blankToNull(ctx.queryParam("fleet_id"));
        String after = blankToNull(ctx.queryParam("after"));
        List<Robot> robots = services.robots().list(session.orgId(), "paused".equals(status) ? null : status, siteId, fleetId, after,
                LIST_LIMIT + 1);
        String next = robots.size() > LIST_LIMIT ? robots.get(LIST_LIMIT - 1).id() : null;
        robots = robots.subList(0, Math.min(robots.size(), LIST_LIMIT));
        if ("paused".equals(status)) {
            robots = robots.stream().filter(Robot::isPaused).toList();
        }
        return new Views.MachinesView(robots, setup.places(), setup.sites(), setup.fleets(), status, siteId, fleetId,
                queryString("status", status, "site_id", siteId, "fleet_id", fleetId, "after", after),
                next == null ? null : queryString("status", status, "site_id", siteId, "fleet_id", fleetId, "after", next), clock.instant());
    }

    private void tokenValue(Context ctx, Session session) {
        requireAdmin(session);
        EnrollmentKey key = services.enrollment().get(session.orgId(), ctx.pathParam("id"));
        String value = services.enrollment().rawValue(key);
        services.audit().append(new AuditLog.Entry(session.orgId(), actor(ctx, session), "enrollment_key.revealed", "enrollment_key",
                key.id(), null));
        ctx.contentType("text/plain; charset=utf-8").result(value);
    }

    private void createApiKey(Context ctx, Session session) {
        requireAdmin(session);
        List<String> scopes = ctx.formParams("scopes");
        var created = services.apiKeys().create(session.orgId(), ctx.formParam("name"), scopes.isEmpty() ? List.of("jobs") : scopes,
                actor(ctx, session));
        flash.put(session.id(), new Flash.Message("secret", "API key '" + created.key().name() + "' created.", "Your new API key",
                created.secret().value(), "This is the only time Beacon shows it. Send it in the X-Beacon-API-Key header."));
        ctx.redirect("/", HttpStatus.SEE_OTHER); // the key is shown at the top of the page
    }

    private void revokeApiKey(Context ctx, Session session) {
        requireAdmin(session);
        var key = services.apiKeys().revoke(session.orgId(), ctx.pathParam("id"), actor(ctx, session));
        flash.put(session.id(), Flash.Message.notice("API key '" + key.name() + "' revoked; requests with it are refused from now on."));
        ctx.redirect("/#api-keys", HttpStatus.SEE_OTHER);
    }

    private void createToken(Context ctx, Session session) {
        requireAdmin(session);
        int maxUses = number(ctx, "max_uses", 1, 1_000_000, 1);
        int hours = number(ctx, "expires_in_hours", 1, 24 * 365, 24);
        String cidrs = blankToNull(ctx.formParam("allowed_cidrs"));
        List<String> allowed = cidrs == null ? List.of() : List.of(cidrs.split("[,\\s]+")).stream().filter(s -> !s.isBlank()).toList();
        var request = new EnrollmentService.KeyRequest(required(ctx, "site_id", "Choose a site."), required(ctx, "fleet_id", "Choose a fleet."),
                required(ctx, "name", "Give the token a name, e.g. the batch of machines it is for."), maxUses, hours, allowed);
        EnrollmentKey key = services.enrollment().create(session.orgId(), request, actor(ctx, session));
        String value = services.enrollment().rawValue(key);
        flash.put(session.id(), new Flash.Message("secret", "Enrollment token '" + key.name() + "' created: " + (maxUses == 1 ? "one-time use" : maxUses + " uses")
                + ", expires in " + hours + " h.", "Your new enrollment token", value,
                "Admins can copy it again from the list until it is used up. On each new machine run: beacon agent enroll --server "
                        + serverUrl(ctx) + " and paste it when asked."));
        ctx.redirect("/", HttpStatus.SEE_OTHER); // the token is shown at the top of the page
    }

    private void revokeToken(Context ctx, Session session) {
        requireAdmin(session);
        boolean cascade = ctx.formParam("cascade") != null;
        EnrollmentKey key = services.enrollment().revoke(session.orgId(), ctx.pathParam("id"), cascade, actor(ctx, session));
        flash.put(session.id(), Flash.Message.notice("Enrollment token '" + key.name() + "' revoked"
                + (cascade ? ", with every machine that enrolled with it." : "; machines that enrolled with it keep working.")));
        ctx.redirect("/#enrollment-tokens", HttpStatus.SEE_OTHER);
    }

    private String serverUrl(Context ctx) {
        String host = ctx.header("Host");
        return ctx.scheme() + "://" + (host == null ? "127.0.0.1" : host);
    }

    // ---- machines ----------------------------------------------------------------------------------------------

    private Views.MachineView machineView(Session session, String robotId) {
        Robot robot = services.robotService().get(session.orgId(), robotId);
        Setup setup = setup(session);
        String keyName = robot.enrollmentKeyId() == null ? null
                : reads.enrollmentKeyNames(session.orgId(), List.of(robot.enrollmentKeyId())).get(robot.enrollmentKeyId());
        List<Job> jobs = services.jobs().history(robot.id(), 25);
        List<PresenceStore.Connection> connections = services.presence().history(robot.id(), 25);
        return new Views.MachineView(robot, setup.places(), keyName, jobs, connections, clock.instant());
    }

    private void machinePage(Context ctx, Session session) {
        Views.MachineView view = machineView(session, ctx.pathParam("id"));
        views.render(ctx, "machine.jte", Map.of("chrome", chromeWithFlash(session, "management", view.robot().name()), "v", view));
    }

    private void setPaused(Context ctx, Session session, boolean paused) {
        requireOperator(session);
        Robot robot = services.robotService().setPaused(session.orgId(), ctx.pathParam("id"), paused, actor(ctx, session));
        flash.put(session.id(), Flash.Message.notice(paused ? "'" + robot.name() + "' is paused: it gets no jobs until you resume it."
                : "'" + robot.name() + "' is resumed and can take jobs again."));
        ctx.redirect(back(ctx, "/machines/" + robot.id()), HttpStatus.SEE_OTHER);
    }

    private void rotateToken(Context ctx, Session session) {
        requireAdmin(session);
        Robot robot = services.robotService().get(session.orgId(), ctx.pathParam("id"));
        services.robotService().rotateToken(session.orgId(), robot.id(), actor(ctx, session));
        flash.put(session.id(), Flash.Message.notice("A new token is on its way to '" + robot.name()
                + "'; the old one stops working once the agent has saved it."));
        ctx.redirect("/machines/" + robot.id(), HttpStatus.SEE_OTHER);
    }

    private void removeMachine(Context ctx, Session session) {
        requireAdmin(session);
        Robot robot = services.robotService().get(session.orgId(), ctx.pathParam("id"));
        services.robotService().remove(session.orgId(), robot.id(), actor(ctx, session));
        flash.put(session.id(), Flash.Message.notice("'" + robot.name() + "' removed: its token is revoked and its agent disconnected. "
                + "Its job history is kept."));
        ctx.redirect("/#machines", HttpStatus.SEE_OTHER);
    }

    // ---- jobs --------------------------------------------------------------------------------------------------

    private Views.JobsView jobsView(Context ctx, Session session) {
        String status = choice(ctx.queryParam("status"), Job.STATUSES);
        String kind = blankToNull(ctx.queryParam("kind"));
        String robotId = blankToNull(ctx.queryParam("robot_id"));
        String before = blankToNull(ctx.queryParam("before"));
        List<DashboardReads.JobRow> rows = reads.jobs(session.orgId(), status, robotId, kind, before, JOBS_PAGE + 1);
        String older = null;
        if (rows.size() > JOBS_PAGE) {
            rows = rows.subList(0, JOBS_PAGE);
            older = rows.get(rows.size() - 1).id();
        }
        Map<String, String> names = reads.robotNames(session.orgId(), rows.stream().map(DashboardReads.JobRow::robotId).toList());
        List<Robot> robots = services.robots().list(session.orgId(), null, null, null, null, LIST_LIMIT);
        Setup setup = setup(session);
        return new Views.JobsView(rows, names, status, kind, robotId, older,
                queryString("status", status, "kind", kind, "robot_id", robotId, "before", before), robots, setup.sites(), setup.fleets(), setup.places(),
                clock.instant());
    }

    private void jobsPage(Context ctx, Session session) {
        views.render(ctx, "jobs.jte", Map.of("chrome", chromeWithFlash(session, "jobs", "Jobs"), "v", jobsView(ctx, session)));
    }

    private Views.JobDetailView jobView(Session session, String jobId) {
        Job job = services.jobs().get(session.orgId(), jobId);
        String reason = services.jobs().waitingReasons(session.orgId(), List.of(job)).get(job.id());
        String robotName = job.robotId() == null ? null : reads.robotNames(session.orgId(), List.of(job.robotId())).get(job.robotId());
        Setup setup = setup(session);
        return new Views.JobDetailView(job, reason, robotName, setup.places(), pretty(job.payload()), outputText(job),
                submitter(session, job.createdBy()), clock.instant());
    }

    /** "user admin" or "API key ci-pipeline" for a job's {@code created_by} ({@code user:usr_…}, {@code api_key:key_…}). */
    private String submitter(Session session, String createdBy) {
        if (createdBy == null || createdBy.indexOf(':') < 0) {
            return createdBy;
        }
        String type = createdBy.substring(0, createdBy.indexOf(':'));
        String id = createdBy.substring(createdBy.indexOf(':') + 1);
        String name = switch (type) {
            case "user" -> reads.usernames(List.of(id)).get(id);
            case "api_key" -> reads.apiKeyNames(session.orgId(), List.of(id)).get(id);
            default -> null;
        };
        String label = "api_key".equals(type) ? "API key" : type;
        return label + " " + (name != null ? name : id);
    }

    private void jobPage(Context ctx, Session session) {
        Views.JobDetailView view = jobView(session, ctx.pathParam("id"));
        views.render(ctx, "job.jte", Map.of("chrome", chromeWithFlash(session, "jobs", "Job " + view.job().id()), "v", view));
    }

    private void submitJob(Context ctx, Session session) throws java.io.IOException {
        requireOperator(session);
        ObjectNode body = json.createObjectNode();
        body.put("kind", ctx.formParam("kind") == null ? "" : ctx.formParam("kind").strip());
        String payload = blankToNull(ctx.formParam("payload"));
        if (payload != null) {
            try {
                body.set("payload", json.readTree(payload));
            } catch (java.io.IOException e) {
                throw ApiError.validation("payload", "The payload must be JSON, e.g. {\"message\": \"hello\"}.");
            }
        }
        ObjectNode target = body.putObject("target");
        putIfPresent(target, "robot_id", ctx.formParam("robot_id"));
        putIfPresent(target, "fleet_id", ctx.formParam("fleet_id"));
        putIfPresent(target, "site_id", ctx.formParam("site_id"));
        String capabilities = blankToNull(ctx.formParam("capabilities"));
        if (capabilities != null) {
            ArrayNode list = target.putArray("capabilities");
            for (String capability : capabilities.split("[,\\s]+")) {
                if (!capability.isBlank()) {
                    list.add(capability);
                }
            }
        }
        String labels = blankToNull(ctx.formParam("labels"));
        if (labels != null) {
            ObjectNode map = target.putObject("labels");
            for (String pair : labels.split("[,\\s]+")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw ApiError.validation("labels", "Write labels as key=value pairs separated by commas, e.g. zone=a, arm=ur5.");
                }
                map.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        putNumberIfPresent(body, "priority", ctx, "priority");
        putNumberIfPresent(body, "timeout_s", ctx, "timeout_s");
        putNumberIfPresent(body, "max_attempts", ctx, "max_attempts");
        JobRequest request = JobRequest.parse(new ByteArrayInputStream(json.writeValueAsBytes(body)), json);
        Job job = services.jobs().submit(session.orgId(), actor(ctx, session), request, null).job();
        flash.put(session.id(), Flash.Message.notice("Job " + job.id() + " (" + job.kind() + ") "
                + (Job.QUEUED.equals(job.status()) ? "queued." : "handed to a machine at once.")));
        ctx.redirect("/jobs/" + job.id(), HttpStatus.SEE_OTHER);
    }

    private void cancelJob(Context ctx, Session session) {
        requireOperator(session);
        Job job = services.jobs().cancel(session.orgId(), ctx.pathParam("id"));
        flash.put(session.id(), Flash.Message.notice(switch (job.status()) {
            case Job.CANCELLED -> "Job " + job.id() + " cancelled.";
            case Job.ASSIGNED, Job.RUNNING -> "Asked the machine to stop job " + job.id() + "; it ends as cancelled once the agent confirms.";
            default -> "Job " + job.id() + " had already ended (" + Fmt.words(job.status()) + ").";
        }));
        ctx.redirect(back(ctx, "/jobs/" + job.id()), HttpStatus.SEE_OTHER);
    }

    private String pretty(Object value) {
        try {
            return value == null ? "" : json.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    private String outputText(Job job) {
        if (job.output() == null || job.output().isNull()) {
            return null;
        }
        return job.output().isTextual() ? job.output().asText() : pretty(job.output());
    }

    // ---- sites ------------------------------------------------------------------------------------------------

    private void sitesPage(Context ctx, Session session) {
        Setup setup = setup(session);
        views.render(ctx, "sites.jte", Map.of("chrome", chromeWithFlash(session, "sites", "Sites & fleets"),
                "v", new Views.SitesView(setup.sites(), setup.fleets(), reads.machinesPerFleet(session.orgId()))));
    }

    private void createSite(Context ctx, Session session) {
        requireAdmin(session);
        String name = limited(required(ctx, "name", "Give the site a name, e.g. warehouse-a."), "name", 100);
        Site site;
        try {
            site = services.orgs().createSite(session.orgId(), name);
        } catch (RuntimeException e) {
            throw conflictOr(e, "A site named " + name + " already exists.");
        }
        services.audit().append(new AuditLog.Entry(session.orgId(), actor(ctx, session), "site.created", "site", site.id(), site.name()));
        flash.put(session.id(), Flash.Message.notice("Site '" + site.name() + "' created. Add a fleet to it next."));
        ctx.redirect("/sites", HttpStatus.SEE_OTHER);
    }

    private void createFleet(Context ctx, Session session) {
        requireAdmin(session);
        String siteId = required(ctx, "site_id", "Choose the fleet's site.");
        String name = limited(required(ctx, "name", "Give the fleet a name, e.g. dock-2."), "name", 100);
        Site site = services.orgs().site(session.orgId(), siteId)
                .orElseThrow(() -> ApiError.unprocessable("site_id", "That site does not exist (any more)."));
        Fleet fleet;
        try {
            fleet = services.orgs().createFleet(session.orgId(), site.id(), name);
        } catch (RuntimeException e) {
            throw conflictOr(e, "A fleet named " + name + " already exists in site " + site.name() + ".");
        }
        services.audit().append(new AuditLog.Entry(session.orgId(), actor(ctx, session), "fleet.created", "fleet", fleet.id(), fleet.name()));
        flash.put(session.id(), Flash.Message.notice("Fleet '" + fleet.name() + "' created. Create an enrollment token for it to add machines."));
        ctx.redirect(back(ctx, "/sites"), HttpStatus.SEE_OTHER);
    }

    // ---- small helpers -----------------------------------------------------------------------------------------

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static String choice(String value, Set<String> allowed) {
        String v = blankToNull(value);
        return v != null && allowed.contains(v) ? v : null;
    }

    private static String required(Context ctx, String field, String hint) {
        String value = blankToNull(ctx.formParam(field));
        if (value == null) {
            throw ApiError.validation(field, hint);
        }
        return value;
    }

    private static int number(Context ctx, String field, int min, int max, int fallback) {
        String value = blankToNull(ctx.formParam(field));
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw ApiError.validation(field, Fmt.title(field.replace('_', ' ')) + " must be a whole number from " + min + " to " + max + ".");
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        String v = blankToNull(value);
        if (v != null) {
            node.put(field, v);
        }
    }

    private static void putNumberIfPresent(ObjectNode node, String field, Context ctx, String param) {
        String v = blankToNull(ctx.formParam(param));
        if (v == null) {
            return;
        }
        try {
            node.put(field, Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw ApiError.validation(field, Fmt.title(param.replace('_', ' ')) + " must be a whole number.");
        }
    }

    /** {@code a=1&c=3} from name/value pairs, leaving out the pairs whose value is null. */
    private static String queryString(String... namesAndValues) {
        StringBuilder query = new StringBuilder();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                query.append(query.isEmpty() ? "" : "&").append(namesAndValues[i]).append('=')
                        .append(URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
            }
        }
        return query.toString();
    }

    private static String limited(String value, String field, int max) {
        if (value.length() > max) {
            throw ApiError.validation(field, Fmt.title(field) + " must be at most " + max + " characters.");
        }
        return value;
    }

    private static RuntimeException conflictOr(RuntimeException e, String detail) {
        return dev.beacon.store.Database.isUniqueViolation(e) ? new ApiError(409, "conflict", detail) : e;
    }
}
