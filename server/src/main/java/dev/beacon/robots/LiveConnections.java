package dev.beacon.robots;

import java.util.Collection;

/** What the machine registry needs from the agent channel: reaching robots that are connected right now. */
public interface LiveConnections {
    /** Closes every live connection of these robots with {@code bye: reason}. */
    void disconnect(Collection<String> robotIds, String reason);

    /** Sends the robot's agent a new token; false when it is not connected. */
    boolean requestTokenRotation(String robotId);
}
