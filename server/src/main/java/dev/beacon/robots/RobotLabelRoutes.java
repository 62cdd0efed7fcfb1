package dev.beacon.robots;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.audit.Actor;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.JsonBody;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;

/**
 * HTTP for the labels an operator sets on a machine: {@code PUT /api/robots/{id}/labels} (admin) with
 * {@code {"labels": {"zone": "b"}}} replaces them all ({@code {}} removes them all) and answers the robot. Its
 * handler runs on Javalin's request threads. Thread-safe.
 */
public final class RobotLabelRoutes {
    private final RobotService service;
    private final Auth auth;
    private final ObjectMapper json;

    public RobotLabelRoutes(RobotService service, Auth auth, ObjectMapper json) {
        this.service = service;
        this.auth = auth;
        this.json = json;
    }

    public void register(RoutesConfig routes) {
        routes.put("/api/robots/{id}/labels", ctx -> {
            Principal principal = auth.admin(ctx);
            JsonBody body = JsonBody.of(ctx, json);
            if (!body.has("labels")) {
                throw ApiError.validation("labels", "Field 'labels' is required: an object of the operator labels to keep, "
                        + "e.g. {\"labels\": {\"zone\": \"b\"}}; {} removes them all.");
            }
            // Lenient lengths here; OperatorLabels checks each key and value and says which one is wrong.
            OperatorLabels labels = new OperatorLabels(body.optionalStringMap("labels", OperatorLabels.MAX_LABELS, 10_000));
            Robot robot = service.changeOperatorLabels(principal.orgId(), ctx.pathParam("id"), stored -> labels, Actor.of(principal));
            ctx.json(RobotRoutes.RobotView.of(robot));
        });
    }
}
