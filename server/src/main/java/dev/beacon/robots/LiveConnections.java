package dev.beacon.robots;

import java.util.Collection;

/** What the machine registry needs from the agent channel: reaching robots that are connected right now. */
public interface LiveConnections {
    /** Closes every live connection of these robots with {@code bye: reason}. */
    void disconnect(Collection<String> robotIds, String reason);

    /** What became of an operator's request to rotate a robot's token. */
    enum RotationRequest {
        /** {@code token.rotated} went to the robot's connection. */
        SENT,
        /** The robot has no greeted connection on this server (or was revoked or removed meanwhile). */
        OFFLINE,
        /** Another rotation of the robot awaits its acknowledgement; at most one is outstanding per robot. */
        PENDING
    }

    /** Sends the robot's agent a new token, unless it is not connected or a rotation is already outstanding. */
    RotationRequest requestTokenRotation(String robotId);
}
