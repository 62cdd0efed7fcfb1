package dev.beacon.dashboard;

import java.time.Duration;
import dev.beacon.jobs.Job;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.Robot;
import dev.beacon.robots.RobotStatus;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The machines: their list on the API Management page ({@code /fragments/machines} refreshes it), one machine's page
 * ({@code /machines/{id}}) and the buttons that pause, resume, re-key or remove it, which call the same
 * {@link dev.beacon.robots.RobotService} methods as the API, audit included. Its handlers run on Javalin's request
 * threads. Thread-safe.
 */
final class MachinePages {
    private static final Set<String> STATUSES = Set.of(RobotStatus.ONLINE.wireName(), RobotStatus.BUSY.wireName(), RobotStatus.OFFLINE.wireName(), "paused");

    private final DashboardRoutes.Services services;
    private final DashboardReads reads;
    private final PageKit kit;
    /** Days finished jobs are kept, for the note under a machine's job history; 0: for ever. */
    private final Duration jobsKept;

    MachinePages(DashboardRoutes.Services services, DashboardReads reads, PageKit kit, Duration jobsKept) {
        this.services = services;
        this.reads = reads;
        this.kit = kit;
        this.jobsKept = jobsKept;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/machines/{id}", guards.page(this::machinePage));
        routes.get("/fragments/machines", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/machines.jte",
                Map.of("v", list(ctx, s, OrgSetup.of(services.orgs(), s.orgId()))))));
        routes.get("/fragments/machines/{id}", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/machine_live.jte",
                Map.of("v", machineView(s, ctx.pathParam("id")), "chrome", kit.chrome(s, "machines", "")))));
        routes.post("/ui/machines/{id}/pause", guards.action((ctx, s) -> setPaused(ctx, s, true)));
        routes.post("/ui/machines/{id}/resume", guards.action((ctx, s) -> setPaused(ctx, s, false)));
        routes.post("/ui/machines/{id}/rotate-token", guards.action(this::rotateToken));
        routes.post("/ui/machines/{id}/remove", guards.action(this::removeMachine));
        new MachineLabelForms(services, kit).register(routes);
    }

    /** The organization's machines, filtered by {@code ?status=}, {@code ?site_id=}, {@code ?fleet_id=} and paged by {@code ?after=}. */
    Views.MachinesView list(Context ctx, Session session, OrgSetup setup) {
        int limit = DashboardRoutes.LIST_LIMIT;
        String status = Form.choice(ctx.queryParam("status"), STATUSES);
        String siteId = Form.blankToNull(ctx.queryParam("site_id"));
        String fleetId = Form.blankToNull(ctx.queryParam("fleet_id"));
        String after = Form.blankToNull(ctx.queryParam("after"));
        List<Robot> robots = services.robots().list(session.orgId(), RobotStatus.fromWire(status).orElse(null), siteId, fleetId, after,
                limit + 1);
        String next = robots.size() > limit ? robots.get(limit - 1).id() : null;
        robots = robots.subList(0, Math.min(robots.size(), limit));
        if ("paused".equals(status)) {
            robots = robots.stream().filter(Robot::isPaused).toList();
        }
        return new Views.MachinesView(robots, setup.places(), setup.sites(), setup.fleets(), status, siteId, fleetId,
                Form.queryString("status", status, "site_id", siteId, "fleet_id", fleetId, "after", after),
                next == null ? null : Form.queryString("status", status, "site_id", siteId, "fleet_id", fleetId, "after", next),
                kit.clock().instant(), kit.nodes().several());
    }

    private Views.MachineView machineView(Session session, String robotId) {
        Robot robot = services.robotService().get(session.orgId(), robotId);
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        String keyName = robot.enrollmentKeyId() == null ? null
                : reads.enrollmentKeyNames(session.orgId(), List.of(robot.enrollmentKeyId())).get(robot.enrollmentKeyId());
        List<Job> jobs = services.jobs().history(robot.id(), 25);
        List<PresenceStore.Connection> connections = services.presence().history(robot.id(), 25);
        return new Views.MachineView(robot, setup.places(), keyName, jobs, connections, kit.clock().instant(),
                kit.nodes().several(), jobsKept);
    }

    private void machinePage(Context ctx, Session session) {
        Views.MachineView view = machineView(session, ctx.pathParam("id"));
        kit.views().render(ctx, "machine.jte", Map.of("chrome", kit.chromeWithFlash(session, "management", view.robot().name()), "v", view));
    }

    private void setPaused(Context ctx, Session session, boolean paused) {
        Guards.requireOperator(session);
        Robot robot = services.robotService().setPaused(session.orgId(), ctx.pathParam("id"), paused, Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice(paused ? "'" + robot.name() + "' is paused: it gets no jobs until you resume it."
                : "'" + robot.name() + "' is resumed and can take jobs again."));
        ctx.redirect(Guards.back(ctx, "/machines/" + robot.id()), HttpStatus.SEE_OTHER);
    }

    private void rotateToken(Context ctx, Session session) {
        Guards.requireAdmin(session);
        Robot robot = services.robotService().get(session.orgId(), ctx.pathParam("id"));
        services.robotService().rotateToken(session.orgId(), robot.id(), Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("A new token is on its way to '" + robot.name()
                + "'; the old one stops working once the agent has saved it."));
        ctx.redirect("/machines/" + robot.id(), HttpStatus.SEE_OTHER);
    }

    private void removeMachine(Context ctx, Session session) {
        Guards.requireAdmin(session);
        Robot robot = services.robotService().get(session.orgId(), ctx.pathParam("id"));
        services.robotService().remove(session.orgId(), robot.id(), Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("'" + robot.name() + "' removed: its token is revoked and it is disconnected. "
                + "Its job history is kept."));
        ctx.redirect("/#machines", HttpStatus.SEE_OTHER);
    }
}
