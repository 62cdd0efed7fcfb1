package dev.beacon.web;

import io.javalin.http.Context;
import java.util.Optional;

/**
 * Resolves the caller of a management endpoint: an {@code X-Beacon-API-Key} header, or else a signed-in
 * dashboard session (whose state-changing requests must carry its CSRF token). Thread-safe.
 */
public final class Auth {
    public static final String API_KEY_HEADER = "X-Beacon-API-Key";

    /** Finds the dashboard session a request carries, as a principal; refuses a state-changing request without its CSRF token. */
    public interface SessionPrincipals {
        Optional<Principal> principal(Context ctx);
    }

    /**
     * Finds the API key an {@code X-Beacon-API-Key} header value names, as a principal; refuses an unknown or revoked key.
     * Implemented by the API key feature, so that web/ knows none; called on request threads, so thread-safe.
     */
    public interface KeyPrincipals {
        Principal authenticate(String headerValue, String ip);
    }

    private final KeyPrincipals apiKeys;
    private final SessionPrincipals sessions;

    public Auth(KeyPrincipals apiKeys, SessionPrincipals sessions) {
        this.apiKeys = apiKeys;
        this.sessions = sessions;
    }

    /** The authenticated principal; refuses with 401 when no valid credential is present. */
    public Principal principal(Context ctx) {
        String key = ctx.header(API_KEY_HEADER);
        if (key == null || key.isBlank()) {
            return sessions.principal(ctx).orElseThrow(() -> ApiError.unauthorized(
                    "Send an API key in the " + API_KEY_HEADER + " header (create one with `beacon admin api-key create`), or sign in to the dashboard."));
        }
        return apiKeys.authenticate(key, ctx.ip());
    }

    public Principal admin(Context ctx) {
        return principal(ctx).requireAdmin();
    }

    public Principal reader(Context ctx) {
        return principal(ctx).requireRead();
    }
}
