package dev.beacon.dashboard;

import dev.beacon.web.Principal;
import java.util.Locale;
import java.util.Set;

/**
 * A dashboard user's role in one organization. Viewers see everything but change nothing; operators also run
 * the fleet day to day (submit and cancel jobs, pause and resume machines); admins also manage access and
 * setup (API keys, enrollment tokens, sites and fleets, removing machines, rotating tokens).
 */
public enum Role {
    VIEWER(Set.of(Principal.READ)),
    OPERATOR(Set.of(Principal.READ, Principal.JOBS)),
    ADMIN(Set.of(Principal.ADMIN));

    private final Set<String> scopes;

    Role(Set<String> scopes) {
        this.scopes = scopes;
    }

    /** The role stored in a membership ({@code admin}, {@code operator}, {@code viewer}); unknown ones read as viewer. */
    public static Role of(String stored) {
        return switch (stored == null ? "" : stored.toLowerCase(Locale.ROOT)) {
            case "admin" -> ADMIN;
            case "operator" -> OPERATOR;
            default -> VIEWER;
        };
    }

    /** The API scopes this role acts with when the API is called from a dashboard session. */
    public Set<String> scopes() {
        return scopes;
    }

    public boolean canOperate() {
        return this != VIEWER;
    }

    public boolean canAdminister() {
        return this == ADMIN;
    }

    /** Lower-case, as shown and stored. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
