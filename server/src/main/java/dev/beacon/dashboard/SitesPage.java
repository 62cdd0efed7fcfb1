package dev.beacon.dashboard;

import dev.beacon.orgs.Fleet;
import dev.beacon.orgs.Site;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.HashMap;
import java.util.Map;

/**
 * The Sites &amp; fleets page ({@code /sites}) and its create buttons, which go through
 * {@link dev.beacon.orgs.OrgService} like {@code POST /api/sites} and {@code POST /api/fleets}, so both are audited
 * alike. Its handlers run on Javalin's request threads. Thread-safe.
 */
final class SitesPage {
    private final DashboardRoutes.Services services;
    private final DashboardReads reads;
    private final PageKit kit;

    SitesPage(DashboardRoutes.Services services, DashboardReads reads, PageKit kit) {
        this.services = services;
        this.reads = reads;
        this.kit = kit;
    }

    void register(RoutesConfig routes) {
        routes.get("/sites", kit.guards().page(this::page));
        routes.post("/ui/sites", kit.guards().action(this::createSite));
        routes.post("/ui/fleets", kit.guards().action(this::createFleet));
    }

    private void page(Context ctx, Session session) {
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        Map<String, QueueCharts> charts = new HashMap<>();
        for (Fleet fleet : setup.fleets()) {
            charts.put(fleet.id(), QueueCharts.of("fleet-chart-" + fleet.id(), "for fleet " + fleet.name(),
                    services.jobs().history(session.orgId(), fleet.id())));
        }
        kit.views().render(ctx, "sites.jte", Map.of("chrome", kit.chromeWithFlash(session, "sites", "Sites & fleets"),
                "v", new Views.SitesView(setup.sites(), setup.fleets(), reads.machinesPerFleet(session.orgId())), "charts", charts));
    }

    private void createSite(Context ctx, Session session) {
        Guards.requireAdmin(session);
        String name = Form.limited(Form.required(ctx, "name", "Give the site a name, e.g. warehouse-a."), "name", 100);
        Site site = services.orgs().createSite(session.orgId(), name, Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("Site '" + site.name() + "' created. Add a fleet to it next."));
        ctx.redirect("/sites", HttpStatus.SEE_OTHER);
    }

    private void createFleet(Context ctx, Session session) {
        Guards.requireAdmin(session);
        String siteId = Form.required(ctx, "site_id", "Choose the fleet's site.");
        String name = Form.limited(Form.required(ctx, "name", "Give the fleet a name, e.g. dock-2."), "name", 100);
        Fleet fleet = services.orgs().createFleet(session.orgId(), siteId, name, Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("Fleet '" + fleet.name() + "' created. Create an enrollment token for it to add machines."));
        ctx.redirect(Guards.back(ctx, "/sites"), HttpStatus.SEE_OTHER);
    }
}
