package dev.beacon.dashboard;

import dev.beacon.errors.DomainException;
import dev.beacon.errors.NotFound;
import dev.beacon.jobs.Job;
import dev.beacon.robots.PresenceStore;
import dev.beacon.robots.Robot;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One machine's page ({@code /machines/{id}}, refreshed live from {@code /fragments/machines/{id}}) and the buttons
 * that pause, resume, re-key or remove it, which call the same {@link dev.beacon.robots.RobotService} methods as the
 * API, audit included. A refused action comes back to this page with its reason. Its handlers run on Javalin's
 * request threads. Thread-safe.
 */
final class MachinePages {
    private final DashboardRoutes.Services services;
    private final DashboardReads reads;
    private final PageKit kit;
    private final MachinesPage list;
    /** Days finished jobs are kept, for the note under a machine's job history; 0: for ever. */
    private final Duration jobsKept;

    MachinePages(DashboardRoutes.Services services, DashboardReads reads, PageKit kit, MachinesPage list, Duration jobsKept) {
        this.services = services;
        this.reads = reads;
        this.kit = kit;
        this.list = list;
        this.jobsKept = jobsKept;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/machines/{id}", guards.page(this::machinePage));
        routes.get("/fragments/machines/{id}", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/machine_live.jte",
                Map.of("v", machineView(s, ctx.pathParam("id")), "chrome", kit.chrome(s, "machines", "")))));
        routes.post("/ui/machines/{id}/pause", guards.action((ctx, s) -> setPaused(ctx, s, true)));
        routes.post("/ui/machines/{id}/resume", guards.action((ctx, s) -> setPaused(ctx, s, false)));
        routes.post("/ui/machines/{id}/rotate-token", guards.action(this::rotateToken));
        routes.post("/ui/machines/{id}/remove", guards.action(this::removeMachine));
        new MachineLabelForms(services, kit).register(routes);
    }

    private MachineDetailView machineView(Session session, String robotId) {
        Robot robot = services.robotService().get(session.orgId(), robotId);
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        String keyName = robot.enrollmentKeyId() == null ? null
                : reads.enrollmentKeyNames(session.orgId(), List.of(robot.enrollmentKeyId())).get(robot.enrollmentKeyId());
        List<Job> jobs = services.jobs().history(robot.id(), 25);
        List<PresenceStore.Connection> connections = services.presence().history(robot.id(), 25);
        Job current = null;
        if (robot.currentJobId() != null) {
            try {
                current = services.jobs().get(session.orgId(), robot.currentJobId());
            } catch (NotFound pruned) {
                // the page then shows the bare id
            }
        }
        Instant now = kit.clock().instant();
        MachineState state = MachineState.of(robot, !connections.isEmpty(), list.responsiveSince(now));
        return new MachineDetailView(robot, state, setup.places(), keyName, current, jobs, connections, now, kit.nodes().several(),
                jobsKept);
    }

    private void machinePage(Context ctx, Session session) {
        MachineDetailView view = machineView(session, ctx.pathParam("id"));
        kit.views().render(ctx, "machine.jte", Map.of("chrome", kit.chromeWithFlash(session, "machines", view.robot().name()), "v", view));
    }

    private void setPaused(Context ctx, Session session, boolean paused) {
        Guards.requireOperator(session);
        Robot robot = services.robotService().setPaused(session.orgId(), ctx.pathParam("id"), paused, Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice(paused ? "'" + robot.name() + "' is paused: it gets no jobs until you resume it."
                : "'" + robot.name() + "' is resumed and can take jobs again."));
        ctx.redirect(Guards.back(ctx, "/machines/" + robot.id()), HttpStatus.SEE_OTHER);
    }

    /** The page offers this only while the machine is connected; a refusal (offline meanwhile, pending) comes back here. */
    private void rotateToken(Context ctx, Session session) {
        Guards.requireAdmin(session);
        Robot robot = services.robotService().get(session.orgId(), ctx.pathParam("id"));
        try {
            services.robotService().rotateToken(session.orgId(), robot.id(), Guards.actor(ctx, session));
        } catch (DomainException refused) {
            kit.flash().put(session.id(), Flash.Message.error("The token of '" + robot.name() + "' was not rotated: " + refused.detail()));
            ctx.redirect("/machines/" + robot.id(), HttpStatus.SEE_OTHER);
            return;
        }
        kit.flash().put(session.id(), Flash.Message.notice("A new token is on its way to '" + robot.name()
                + "'; the old one stops working once the machine has saved it."));
        ctx.redirect("/machines/" + robot.id(), HttpStatus.SEE_OTHER);
    }

    private void removeMachine(Context ctx, Session session) {
        Guards.requireAdmin(session);
        Robot robot = services.robotService().get(session.orgId(), ctx.pathParam("id"));
        services.robotService().remove(session.orgId(), robot.id(), Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("'" + robot.name() + "' removed: its token is revoked and it is disconnected. "
                + "Its job history is kept."));
        ctx.redirect("/machines", HttpStatus.SEE_OTHER);
    }
}
