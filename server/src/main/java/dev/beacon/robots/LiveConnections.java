package dev.beacon.robots;

/**
 * What the machine registry asks of the agent channel and needs an answer to: a token rotation for a connected robot.
 * Closing robots' connections is not asked but told, through {@link FleetEvents}.
 */
public interface LiveConnections {
    /** What became of an operator's request to rotate a robot's token. */
    enum RotationRequest {
        /** {@code token.rotated} went to the robot's connection. */
        SENT,
        /** The robot has no greeted connection on this server (or was revoked or removed meanwhile). */
        OFFLINE,
        /** Another rotation of the robot awaits its acknowledgement; at most one is outstanding per robot. */
        PENDING,
        /**
         * The robot is not connected to this server node, and no other node said it holds the robot's connection in
         * time (a node that died, or signals delayed): nothing is known to have been sent.
         */
        UNANSWERED
    }

    /** Sends the robot's agent a new token, unless it is not connected or a rotation is already outstanding. */
    RotationRequest requestTokenRotation(String robotId);
}
