package dev.beacon.cluster;

/** Thrown at start when a live node already holds the name this server asked for. */
public final class NodeNameTaken extends RuntimeException {
    NodeNameTaken(String name, long heartbeatAgeMillis) {
        super("node name '" + name + "' is held by a live node (its lease was renewed " + heartbeatAgeMillis
                + " ms ago); give this server another --node-name, or stop that node first", null, false, false);
    }
}
