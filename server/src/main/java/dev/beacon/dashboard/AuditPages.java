package dev.beacon.dashboard;

import dev.beacon.audit.AuditEvent;
import dev.beacon.audit.AuditLog;
import dev.beacon.web.ApiError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's two audit pages: an organization's log ({@code /audit}), which every member of the organization
 * sees, and the instance log ({@code /instance/audit}), the events that belong to no organization, which only
 * instance admins see. Its handlers run on Javalin's request threads. Thread-safe.
 */
final class AuditPages {
    static final int PAGE = 100;

    private final AuditLog audit;
    private final DashboardReads reads;
    private final PageKit kit;
    /** Days audit events are kept, for the note on the pages; 0: for ever. */
    private final Duration kept;

    AuditPages(AuditLog audit, DashboardReads reads, PageKit kit, Duration kept) {
        this.audit = audit;
        this.reads = reads;
        this.kit = kit;
        this.kept = kept;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/audit", guards.page((ctx, s) -> kit.views().render(ctx, "audit.jte",
                Map.of("chrome", kit.chromeWithFlash(s, "audit", "Audit log"), "v", organization(ctx, s)))));
        routes.get("/instance/audit", guards.page((ctx, s) -> kit.views().render(ctx, "audit.jte",
                Map.of("v", instance(ctx, s), "chrome", kit.chromeWithFlash(s, "instance-audit", "Instance audit log")))));
        routes.get("/fragments/audit", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/audit_table.jte",
                Map.of("v", organization(ctx, s)))));
    }

    /** The session's organization's events, newest first, filtered by {@code ?action=} and paged by {@code ?before=}. */
    Views.AuditView organization(Context ctx, Session session) {
        List<AuditEvent> fetched = audit.list(session.orgId(), action(ctx), before(ctx), PAGE + 1);
        List<AuditEvent> events = fetched.size() > PAGE ? fetched.subList(0, PAGE) : fetched;
        Map<String, String> names = new HashMap<>(reads.usernames(AuditWords.ids(events, "user")));
        names.putAll(reads.robotNames(session.orgId(), AuditWords.ids(events, "robot")));
        names.putAll(reads.apiKeyNames(session.orgId(), AuditWords.ids(events, "api_key")));
        names.putAll(reads.enrollmentKeyNames(session.orgId(), AuditWords.ids(events, "enrollment_key")));
        names.putAll(reads.siteNames(session.orgId(), AuditWords.ids(events, "site")));
        names.putAll(reads.fleetNames(session.orgId(), AuditWords.ids(events, "fleet")));
        names.put(session.orgId(), session.orgName());
        return new Views.AuditView(events, names, action(ctx), older(fetched, events), kit.clock().instant(), false,
                kept);
    }

    /** The events of no organization, for an instance admin; anyone else gets 403, as on {@code GET /api/instance/audit}. */
    Views.AuditView instance(Context ctx, Session session) {
        if (!session.instanceAdmin()) {
            throw ApiError.forbidden("Only instance admins see the instance audit log; an operator of the server can make you one "
                    + "with `beacon admin user set-instance-admin --username " + session.username() + "`.");
        }
        List<AuditEvent> fetched = audit.listInstance(action(ctx), before(ctx), PAGE + 1);
        List<AuditEvent> events = fetched.size() > PAGE ? fetched.subList(0, PAGE) : fetched;
        // Robot and API key names are per organization, and none of these events has one; users are instance-wide.
        return new Views.AuditView(events, reads.usernames(AuditWords.ids(events, "user")), action(ctx), older(fetched, events), kit.clock().instant(), true,
                kept);
    }

    private static String older(List<AuditEvent> fetched, List<AuditEvent> shown) {
        return fetched.size() > shown.size() ? shown.get(shown.size() - 1).id() : null;
    }

    private static String action(Context ctx) {
        return Form.blankToNull(ctx.queryParam("action"));
    }

    private static String before(Context ctx) {
        return Form.blankToNull(ctx.queryParam("before"));
    }
}
