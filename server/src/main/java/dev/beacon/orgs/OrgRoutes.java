package dev.beacon.orgs;

import dev.beacon.audit.Actor;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.JsonBody;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import java.time.Instant;

/**
 * HTTP for {@code /api/sites} and {@code /api/fleets}: reads the JSON, checks the key's scope and leaves the rules
 * to {@link OrgService}, as the dashboard does. Its handlers run on Javalin's request threads. Thread-safe.
 */
public final class OrgRoutes {
    private final OrgService service;
    private final Auth auth;
    private final ObjectMapper json;

    public OrgRoutes(OrgService service, Auth auth, ObjectMapper json) {
        this.service = service;
        this.auth = auth;
        this.json = json;
    }

    record SiteView(String id, String name, Instant createdAt) {
        static SiteView of(Site site) {
            return new SiteView(site.id(), site.name(), site.createdAt());
        }
    }

    record FleetView(String id, String siteId, String name, Instant createdAt) {
        static FleetView of(Fleet fleet) {
            return new FleetView(fleet.id(), fleet.siteId(), fleet.name(), fleet.createdAt());
        }
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/sites", ctx -> {
            Principal principal = auth.admin(ctx);
            String name = JsonBody.of(ctx, json).requiredString("name", 100);
            ctx.status(201).json(SiteView.of(service.createSite(principal.orgId(), name, Actor.of(principal))));
        });
        routes.get("/api/sites", ctx -> {
            Principal principal = auth.reader(ctx);
            int limit = Page.limit(ctx);
            ctx.json(Page.of(service.sites(principal.orgId(), Page.cursor(ctx), limit + 1), limit, Site::id).map(SiteView::of));
        });
        routes.get("/api/sites/{id}", ctx -> {
            Principal principal = auth.reader(ctx);
            ctx.json(SiteView.of(service.site(principal.orgId(), ctx.pathParam("id")).orElseThrow(() -> ApiError.notFound("site"))));
        });
        routes.post("/api/fleets", ctx -> {
            Principal principal = auth.admin(ctx);
            JsonBody body = JsonBody.of(ctx, json);
            String siteId = body.requiredString("site_id", 100);
            String name = body.requiredString("name", 100);
            ctx.status(201).json(FleetView.of(service.createFleet(principal.orgId(), siteId, name, Actor.of(principal))));
        });
        routes.get("/api/fleets", ctx -> {
            Principal principal = auth.reader(ctx);
            int limit = Page.limit(ctx);
            String siteId = ctx.queryParam("site_id");
            ctx.json(Page.of(service.fleets(principal.orgId(), siteId == null || siteId.isBlank() ? null : siteId, Page.cursor(ctx), limit + 1),
                    limit, Fleet::id).map(FleetView::of));
        });
        routes.get("/api/fleets/{id}", ctx -> {
            Principal principal = auth.reader(ctx);
            ctx.json(FleetView.of(service.fleet(principal.orgId(), ctx.pathParam("id")).orElseThrow(() -> ApiError.notFound("fleet"))));
        });
    }
}
