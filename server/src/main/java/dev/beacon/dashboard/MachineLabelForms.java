package dev.beacon.dashboard;

import dev.beacon.robots.Robot;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

/**
 * The buttons on a machine's page that add and remove the labels an operator sets on it (admins only, like
 * {@code PUT /api/robots/{id}/labels}): both change one label through the same
 * {@link dev.beacon.robots.RobotService#changeOperatorLabels} as the API, audit included, and come back to the
 * labels card. Its handlers run on Javalin's request threads. Thread-safe.
 */
final class MachineLabelForms {
    private final DashboardRoutes.Services services;
    private final PageKit kit;

    MachineLabelForms(DashboardRoutes.Services services, PageKit kit) {
        this.services = services;
        this.kit = kit;
    }

    void register(RoutesConfig routes) {
        routes.post("/ui/machines/{id}/labels", kit.guards().action(this::addLabel));
        routes.post("/ui/machines/{id}/labels/remove", kit.guards().action(this::removeLabel));
    }

    private void addLabel(Context ctx, Session session) {
        Guards.requireAdmin(session);
        String key = Form.required(ctx, "key", "Give the label a key, e.g. zone.");
        String value = Form.required(ctx, "value", "Give the label a value, e.g. dock-2.");
        Robot robot = services.robotService().changeOperatorLabels(session.orgId(), ctx.pathParam("id"),
                labels -> labels.with(key, value), Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("Label " + key + "=" + value + " set on '" + robot.name()
                + "'; jobs targeting it can run there now."));
        ctx.redirect("/machines/" + robot.id() + "#machine-labels", HttpStatus.SEE_OTHER);
    }

    private void removeLabel(Context ctx, Session session) {
        Guards.requireAdmin(session);
        String key = Form.required(ctx, "key", "Say which label to remove.");
        Robot robot = services.robotService().changeOperatorLabels(session.orgId(), ctx.pathParam("id"),
                labels -> labels.without(key), Guards.actor(ctx, session));
        String left = robot.agentLabels().get(key);
        kit.flash().put(session.id(), Flash.Message.notice("Label '" + key + "' removed from '" + robot.name() + "'"
                + (left == null ? "." : "; the machine's own " + key + "=" + left + " applies again.")));
        ctx.redirect("/machines/" + robot.id() + "#machine-labels", HttpStatus.SEE_OTHER);
    }
}
