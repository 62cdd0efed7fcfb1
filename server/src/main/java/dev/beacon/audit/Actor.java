package dev.beacon.audit;

import dev.beacon.web.Principal;

/**
 * Who is acting, for the audit log: a type ({@code user}, {@code api_key}, {@code robot},
 * {@code system}, {@code anonymous}), its id, and the source address as the server saw it.
 */
public record Actor(String type, String id, String ip) {
    /** The server itself, e.g. for first-start bootstrap and sweeps. */
    public static final Actor SYSTEM = new Actor("system", null, null);

    /** The API key or dashboard user a management request is made by. */
    public static Actor of(Principal principal) {
        return new Actor(principal.kind(), principal.id(), principal.ip());
    }

    /** An operator at the command line ({@code beacon admin}). */
    public static Actor cli() {
        return new Actor("cli", System.getProperty("user.name"), null);
    }
}
