package dev.beacon.dashboard;

import dev.beacon.web.Principal;
import java.time.Instant;

/**
 * A signed-in dashboard user acting in one organization; {@code instanceAdmin} says whether the user also sees what
 * belongs to no organization (read with the session on every request). Immutable.
 */
public record Session(String id, String userId, String username, String orgId, String orgName, Role role, String csrfToken,
                      Instant expiresAt, Instant lastSeenAt, boolean instanceAdmin) {

    /** The principal an API call made from this session acts as. */
    public Principal principal(String ip) {
        return new Principal(orgId, Principal.USER_KIND, userId, ip, role.scopes());
    }

    @Override
    public String toString() {
        return "Session[" + id + ", " + username + "@" + orgName + " as " + role.label() + "]"; // never the CSRF token
    }
}
