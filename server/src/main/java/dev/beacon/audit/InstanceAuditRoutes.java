package dev.beacon.audit;

import dev.beacon.users.UserStore;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import java.util.List;

/**
 * HTTP for {@code GET /api/instance/audit}: the audit events that belong to no organization, newest first, for a
 * dashboard session of an instance admin. Everyone else gets {@code 403 forbidden}: API keys always, since a key
 * belongs to one organization; users who are not instance admins, whatever their role in their organizations.
 * The handler runs on Javalin's request threads; thread-safe.
 */
public final class InstanceAuditRoutes {
    private final AuditLog audit;
    private final Auth auth;
    private final UserStore users;

    public InstanceAuditRoutes(AuditLog audit, Auth auth, UserStore users) {
        this.audit = audit;
        this.auth = auth;
        this.users = users;
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/instance/audit", ctx -> {
            requireInstanceAdmin(auth.principal(ctx));
            int limit = Page.limit(ctx);
            String action = ctx.queryParam("action");
            List<AuditEvent> fetched = audit.listInstance(action == null || action.isBlank() ? null : action.strip(),
                    Page.cursor(ctx), limit + 1);
            ctx.json(Page.of(fetched, limit, AuditEvent::id));
        });
    }

    private void requireInstanceAdmin(Principal principal) {
        // Only a dashboard session acts as a "user"; the flag is read from the database on every request, so
        // taking it away (beacon admin user set-instance-admin --off) takes effect at once.
        if (!Principal.USER_KIND.equals(principal.kind())) {
            throw ApiError.forbidden("Instance-wide audit events are only for instance admins signed in to the dashboard; an API key "
                    + "belongs to one organization and never sees them.");
        }
        if (!users.isInstanceAdmin(principal.id())) {
            throw ApiError.forbidden("Only instance admins see instance-wide audit events; an operator of the server can make you one "
                    + "with `beacon admin user set-instance-admin --username NAME`.");
        }
    }
}
