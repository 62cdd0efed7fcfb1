package dev.beacon.web;

import java.util.Set;

/**
 * Who is making a management request: an API key or a signed-in dashboard user ({@code kind} {@value #API_KEY_KIND} or
 * {@value #USER_KIND}, with its {@code id}), from {@code ip}, acting within one organization with a set of scopes.
 * Immutable.
 */
public record Principal(String orgId, String kind, String id, String ip, Set<String> scopes) {
    public static final String API_KEY_KIND = "api_key";
    public static final String USER_KIND = "user";

    public static final String ADMIN = "admin";
    public static final String JOBS = "jobs";
    public static final String READ = "read";

    public Principal {
        scopes = Set.copyOf(scopes);
    }

    /** Whether this principal may change the organization's setup (keys, sites, robots). */
    public boolean isAdmin() {
        return scopes.contains(ADMIN);
    }

    /** Refuses with 403 unless the principal is an admin. */
    public Principal requireAdmin() {
        if (!isAdmin()) {
            throw ApiError.forbidden("This needs an API key with scope 'admin'; this key has " + scopes + ".");
        }
        return this;
    }

    /** Refuses with 403 unless the principal may read the organization's setup (scopes admin or read). */
    public Principal requireRead() {
        if (!scopes.contains(ADMIN) && !scopes.contains(READ)) {
            throw ApiError.forbidden("This needs an API key with scope 'read' or 'admin'; this key has " + scopes + ".");
        }
        return this;
    }

    /** Refuses with 403 unless the principal may submit and cancel jobs (scopes admin or jobs). */
    public Principal requireJobs() {
        if (!scopes.contains(ADMIN) && !scopes.contains(JOBS)) {
            throw ApiError.forbidden("This needs an API key with scope 'jobs' or 'admin'; this key has " + scopes + ".");
        }
        return this;
    }

    /** Refuses with 403 unless the principal may read jobs and the queue (scopes admin, jobs or read). */
    public Principal requireJobReader() {
        if (!scopes.contains(ADMIN) && !scopes.contains(JOBS) && !scopes.contains(READ)) {
            throw ApiError.forbidden("This needs an API key with scope 'jobs', 'read' or 'admin'; this key has " + scopes + ".");
        }
        return this;
    }
}
