package dev.beacon.cluster;

import java.time.Instant;
import java.util.function.ToIntBiFunction;

/**
 * What a survivor does with a dead node's robots, in this order: settle the jobs its open sessions held (the jobs
 * feature's settle path: queued again or ended, attempts counted), then mark its robots offline and close their
 * connection rows (presence). Implementations are guarded in SQL, so running twice changes nothing the second time.
 */
public interface NodeLoss {
    /** Settles the jobs held by sessions node {@code nodeId} had open; returns how many. */
    int settleJobs(String nodeId, String nodeName);

    /** Marks the robots node {@code nodeId} held offline (reason {@code node_lost}); returns how many. */
    int markRobotsOffline(String nodeId, Instant now);

    /** The two steps as functions, for wiring. */
    static NodeLoss of(ToIntBiFunction<String, String> settleJobs, ToIntBiFunction<String, Instant> markRobotsOffline) {
        return new NodeLoss() {
            @Override
            public int settleJobs(String nodeId, String nodeName) {
                return settleJobs.applyAsInt(nodeId, nodeName);
            }

            @Override
            public int markRobotsOffline(String nodeId, Instant now) {
                return markRobotsOffline.applyAsInt(nodeId, now);
            }
        };
    }
}
