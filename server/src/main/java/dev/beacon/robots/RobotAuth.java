package dev.beacon.robots;

import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import dev.beacon.web.ApiError;

/** Authenticates an agent by its {@code Authorization: Bearer rf_robot_…} header. Thread-safe. */
public final class RobotAuth {
    private final RobotStore robots;

    public RobotAuth(RobotStore robots) {
        this.robots = robots;
    }

    /** The robot the bearer token belongs to; refuses with 401 and a code saying why otherwise. */
    public Robot authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiError.unauthorized("Send the robot token as 'Authorization: Bearer rf_robot_…'.");
        }
        String token = authorizationHeader.substring(7).strip();
        if (TokenFormat.parse(TokenKind.ROBOT, token) instanceof TokenFormat.Parsed.Malformed malformed) {
            throw ApiError.unauthorized("The bearer value is not a valid robot token: " + malformed.reason() + ".");
        }
        String hash = TokenFormat.sha256Hex(token);
        return robots.byLiveToken(hash).orElseThrow(() -> switch (robots.deadTokenReason(hash).orElse("unknown")) {
            case "removed" -> new ApiError(401, "robot_removed", "This robot was removed from its organization. Enroll again with a new key.");
            case "revoked" -> new ApiError(401, "robot_token_revoked", "This robot token was revoked. Enroll again with a new key.");
            default -> ApiError.unauthorized("This robot token is not known to this server.");
        });
    }
}
