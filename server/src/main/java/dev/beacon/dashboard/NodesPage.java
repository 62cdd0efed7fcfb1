package dev.beacon.dashboard;

import io.javalin.config.RoutesConfig;
import java.util.Map;

/**
 * The Nodes page ({@code /nodes}), for admins: every server process on this database with its URL, whether it is
 * alive, when it started, its last heartbeat and how many agents it holds; {@code /fragments/nodes} refreshes it live
 * (topic {@code nodes}). The same nodes and the same rule for alive and dead as {@code GET /api/cluster/nodes}, and
 * like that route it refuses anyone but an admin. Its handlers run on Javalin's request threads. Thread-safe.
 */
final class NodesPage {
    private final PageKit kit;

    NodesPage(PageKit kit) {
        this.kit = kit;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/nodes", guards.page((ctx, s) -> kit.views().render(ctx, "nodes.jte",
                Map.of("chrome", kit.chromeWithFlash(s, "nodes", "Nodes"), "v", view(s)))));
        routes.get("/fragments/nodes", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/nodes_table.jte",
                Map.of("v", view(s)))));
    }

    private Views.NodesView view(Session session) {
        Guards.requireAdmin(session);
        NodeFacts nodes = kit.nodes();
        var now = kit.clock().instant();
        return new Views.NodesView(nodes.current(now), nodes.thisNodeId(), nodes.shared(), now);
    }
}
