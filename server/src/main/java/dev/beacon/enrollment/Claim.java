package dev.beacon.enrollment;

import dev.beacon.tokens.Secret;

/** The outcome of trading an enrollment key for a robot token. Callers switch over it exhaustively. */
public sealed interface Claim {
    /** The robot exists (new, or re-keyed with {@code replace}) and holds {@code token}, shown only this once. */
    record Enrolled(String robotId, Secret token, String orgId, String orgName, String siteId, String siteName,
                    String fleetId, String fleetName, boolean replaced) implements Claim {
    }

    /** The claim changed nothing; {@code detail} tells the caller what to do. */
    record Refused(Refusal reason, String detail) implements Claim {
    }
}
