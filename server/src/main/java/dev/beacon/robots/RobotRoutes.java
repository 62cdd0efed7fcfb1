package dev.beacon.robots;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.beacon.audit.Actor;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** HTTP for the machine registry ({@code /api/robots}) and an agent's view of itself ({@code /api/agent/me}). */
public final class RobotRoutes {
    private final RobotStore store;
    private final RobotService service;
    private final PresenceStore presence;
    private final RobotAuth robotAuth;
    private final Auth auth;
    private final JobHistory jobs;

    public RobotRoutes(RobotStore store, RobotService service, PresenceStore presence, RobotAuth robotAuth, Auth auth, JobHistory jobs) {
        this.jobs = jobs;
        this.store = store;
        this.service = service;
        this.presence = presence;
        this.robotAuth = robotAuth;
        this.auth = auth;
    }

    /** A robot with its recent connections and its last 20 jobs (newest first), for the detail view. */
    record RobotDetail(@JsonUnwrapped RobotView robot, List<PresenceStore.Connection> connections, List<?> jobs) {
    }

    /**
     * A robot as the API shows it. {@code labels} are the ones jobs match: {@code agent_labels} (what its agent
     * advertises) overlaid with {@code operator_labels} (what an operator set), the operator winning on a key both set.
     */
    record RobotView(String id, String name, RobotStatus status, String siteId, String fleetId, Instant lastSeenAt,
                     String currentJob, String ip, String hostname, String os, String arch, String agentVersion,
                     List<String> capabilities, Map<String, String> labels, Map<String, String> agentLabels,
                     Map<String, String> operatorLabels, Instant enrolledAt, String enrollmentKeyId, boolean paused, String node) {
        static RobotView of(Robot robot) {
            return new RobotView(robot.id(), robot.name(), robot.status(), robot.siteId(), robot.fleetId(), robot.lastSeenAt(),
                    robot.currentJobId(), robot.ip(), robot.hostname(), robot.os(), robot.arch(), robot.agentVersion(), robot.capabilities(),
                    new TreeMap<>(robot.labels()), new TreeMap<>(robot.agentLabels()), new TreeMap<>(robot.operatorLabels()),
                    robot.enrolledAt(), robot.enrollmentKeyId(), robot.pausedAt() != null, robot.node());
        }
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/robots", this::list);
        routes.get("/api/robots/{id}", ctx -> {
            Principal principal = auth.reader(ctx);
            Robot robot = service.get(principal.orgId(), ctx.pathParam("id"));
            ctx.json(new RobotDetail(RobotView.of(robot), presence.history(robot.id(), 20), jobs.recent(robot.id(), 20)));
        });
        routes.delete("/api/robots/{id}", ctx -> {
            Principal principal = auth.admin(ctx);
            service.remove(principal.orgId(), ctx.pathParam("id"), Actor.of(principal));
            ctx.status(204);
        });
        routes.post("/api/robots/{id}/pause", ctx -> {
            Principal principal = auth.admin(ctx);
            ctx.json(RobotView.of(service.setPaused(principal.orgId(), ctx.pathParam("id"), true, Actor.of(principal))));
        });
        routes.post("/api/robots/{id}/resume", ctx -> {
            Principal principal = auth.admin(ctx);
            ctx.json(RobotView.of(service.setPaused(principal.orgId(), ctx.pathParam("id"), false, Actor.of(principal))));
        });
        routes.post("/api/robots/{id}/revoke-token", ctx -> {
            Principal principal = auth.admin(ctx);
            ctx.json(RobotView.of(service.revokeToken(principal.orgId(), ctx.pathParam("id"), Actor.of(principal))));
        });
        routes.post("/api/robots/{id}/rotate-token", ctx -> {
            Principal principal = auth.admin(ctx);
            service.rotateToken(principal.orgId(), ctx.pathParam("id"), Actor.of(principal));
            ctx.status(202).json(Map.of("status", "rotation_sent"));
        });
        routes.get("/api/agent/me", ctx -> ctx.json(RobotView.of(robotAuth.authenticate(ctx.header("Authorization")))));
    }

    private void list(Context ctx) {
        Principal principal = auth.reader(ctx);
        String statusParam = blankToNull(ctx.queryParam("status"));
        RobotStatus status = statusParam == null ? null : RobotStatus.fromWire(statusParam).orElseThrow(
                () -> ApiError.validation("status", "Query parameter 'status' must be online, busy or offline."));
        int limit = Page.limit(ctx);
        List<Robot> fetched = store.list(principal.orgId(), status, blankToNull(ctx.queryParam("site_id")),
                blankToNull(ctx.queryParam("fleet_id")), Page.cursor(ctx), limit + 1);
        ctx.json(Page.of(fetched, limit, Robot::id).map(RobotView::of));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
