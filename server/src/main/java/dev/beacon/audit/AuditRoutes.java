package dev.beacon.audit;

import dev.beacon.web.Auth;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import java.util.List;

/** HTTP for {@code GET /api/audit}: the organization's audit events, newest first (admin only). */
public final class AuditRoutes {
    private final AuditLog audit;
    private final Auth auth;

    public AuditRoutes(AuditLog audit, Auth auth) {
        this.audit = audit;
        this.auth = auth;
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/audit", ctx -> {
            Principal principal = auth.admin(ctx);
            int limit = Page.limit(ctx);
            String action = ctx.queryParam("action");
            List<AuditEvent> fetched = audit.list(principal.orgId(), action == null || action.isBlank() ? null : action.strip(),
                    Page.cursor(ctx), limit + 1);
            ctx.json(Page.of(fetched, limit, AuditEvent::id));
        });
    }
}
