package dev.beacon.dashboard;

import dev.beacon.cluster.ClusterNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the dashboard shows of the server nodes: whether other nodes may share this server's database (PostgreSQL;
 * on SQLite this server is the only node), the nodes themselves for the Nodes page, and whether more than one is
 * alive, in which case machine rows name the node holding each one. Read from the database on each call, like the
 * rest of the dashboard, so every node shows the same. Thread-safe.
 */
final class NodeFacts {
    /** How long a node that died without a clean shutdown stays listed: as long as {@code GET /api/cluster/nodes} lists it. */
    static final Duration DEAD_SHOWN_FOR = Duration.ofDays(1);

    private final DashboardReads reads;
    private final ClusterNode node;
    private final boolean shared;

    NodeFacts(DashboardReads reads, ClusterNode node, boolean shared) {
        this.reads = reads;
        this.node = node;
        this.shared = shared;
    }

    /** True on PostgreSQL, where several nodes may serve one database; false on SQLite (one process). */
    boolean shared() {
        return shared;
    }

    /** The id of the node serving this request. */
    String thisNodeId() {
        return node.id();
    }

    /** The name of the node serving this request. */
    String thisNodeName() {
        return node.name();
    }

    /** The nodes running or dead within the last day, by name, as of {@code now}. */
    List<DashboardReads.NodeRow> current(Instant now) {
        return reads.nodes(now.minus(DEAD_SHOWN_FOR), node.liveSince());
    }

    /** Whether more than one node is alive: only then is the node holding a machine worth a column. */
    boolean several() {
        return shared && reads.aliveNodes(node.liveSince()) > 1;
    }
}
