package dev.beacon.robots;

import dev.beacon.errors.Refused;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.time.Clock;

/** Authenticates an agent by its {@code Authorization: Bearer rf_robot_…} header. Thread-safe. */
public final class RobotAuth {
    private final RobotStore robots;
    private final Clock clock;

    public RobotAuth(RobotStore robots, Clock clock) {
        this.robots = robots;
        this.clock = clock;
    }

    /** A robot and the hash of the token it presented (the agent socket checks that token again at hello). */
    public record Authenticated(Robot robot, String tokenHash) {
    }

    /** The robot the bearer token belongs to; refuses (on grounds of credentials) with a code saying why otherwise. */
    public Robot authenticate(String authorizationHeader) {
        return authenticateToken(authorizationHeader).robot();
    }

    /** Like {@link #authenticate}, keeping the token's hash. */
    public Authenticated authenticateToken(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw Refused.credentials("Send the robot token as 'Authorization: Bearer rf_robot_…'.");
        }
        String token = authorizationHeader.substring(7).strip();
        if (TokenFormat.parse(TokenKind.ROBOT, token) instanceof TokenFormat.Parsed.Malformed malformed) {
            throw Refused.credentials("The bearer value is not a valid robot token: " + malformed.reason() + ".");
        }
        String hash = TokenFormat.sha256Hex(token);
        Robot robot = robots.byLiveToken(hash, clock.instant()).orElseThrow(() -> switch (robots.deadTokenReason(hash).orElse("unknown")) {
            case "removed" -> new Refused(Refused.Grounds.CREDENTIALS, "robot_removed", "This robot was removed from its organization. Enroll again with a new key.");
            case "revoked" -> new Refused(Refused.Grounds.CREDENTIALS, "robot_token_revoked", "This robot token was revoked. Enroll again with a new key.");
            default -> Refused.credentials("This robot token is not known to this server.");
        });
        return new Authenticated(robot, hash);
    }
}
