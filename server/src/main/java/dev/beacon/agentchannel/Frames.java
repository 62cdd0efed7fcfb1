package dev.beacon.agentchannel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds the JSON text frames the server sends to agents. Thread-safe. */
final class Frames {
    private final ObjectMapper json;

    Frames(ObjectMapper json) {
        this.json = json;
    }

    ObjectNode frame(String type) {
        return json.createObjectNode().put("type", type);
    }

    String welcome(String robotId, String name, String sessionId, int heartbeatIntervalSeconds) {
        return frame("welcome").put("robot_id", robotId).put("name", name).put("session_id", sessionId)
                .put("heartbeat_interval_s", heartbeatIntervalSeconds).toString();
    }

    /** The answer to a rotate-only hello: no heartbeat interval, as the connection takes no heartbeats. */
    String welcomeRotateOnly(String robotId, String name, String sessionId) {
        return frame("welcome").put("robot_id", robotId).put("name", name).put("session_id", sessionId)
                .put("purpose", HelloFrame.ROTATE_TOKEN).toString();
    }

    String heartbeatAck(String sentAt) {
        ObjectNode ack = frame("heartbeat.ack");
        if (sentAt != null) {
            ack.put("sent_at", sentAt);
        }
        return ack.toString();
    }

    String bye(String reason) {
        return frame("bye").put("reason", reason).toString();
    }

    String error(String code, String detail) {
        return frame("error").put("code", code).put("detail", detail).toString();
    }

    String tokenRotated(String token) {
        return frame("token.rotated").put("token", token).toString();
    }
}
