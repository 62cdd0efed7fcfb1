package dev.beacon.cluster;

import dev.beacon.web.Auth;
import io.javalin.config.RoutesConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * HTTP for {@code GET /api/cluster/nodes}: the nodes that are running or died within the last day, for an admin
 * (an admin API key or an admin's dashboard session; anyone else gets {@code 403 forbidden}). A node is
 * {@code alive} while its lease is current and no survivor took it over, {@code dead} otherwise. The handler runs
 * on Javalin's request threads; thread-safe.
 */
public final class NodeRoutes {
    /** How long a node that died without a clean shutdown stays in the list. */
    static final Duration DEAD_SHOWN_FOR = Duration.ofDays(1);

    private final NodeStore store;
    private final ClusterNode node;
    private final Auth auth;
    private final Clock clock;

    public NodeRoutes(dev.beacon.store.Database db, ClusterNode node, Auth auth, Clock clock) {
        this.store = new NodeStore(db);
        this.node = node;
        this.auth = auth;
        this.clock = clock;
    }

    /** One node in the list. */
    record NodeView(String id, String name, String url, String status, Instant startedAt, Instant lastHeartbeatAt,
                    int agentsConnected) {
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/cluster/nodes", ctx -> {
            auth.admin(ctx);
            Instant liveSince = node.liveSince();
            List<NodeView> items = store.current(clock.instant().minus(DEAD_SHOWN_FOR)).stream()
                    .map(row -> new NodeView(row.id(), row.name(), row.url(),
                            row.reapedAt() == null && !row.lastHeartbeatAt().isBefore(liveSince) ? "alive" : "dead",
                            row.startedAt(), row.lastHeartbeatAt(), row.agentsConnected()))
                    .toList();
            ctx.json(Map.of("items", items));
        });
    }
}
