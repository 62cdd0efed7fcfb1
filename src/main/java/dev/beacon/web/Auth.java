package dev.beacon.web;

import dev.beacon.apikeys.ApiKeyService;
import io.javalin.http.Context;

/** Resolves the caller of a management endpoint from its {@code X-Beacon-API-Key} header. Thread-safe. */
public final class Auth {
    public static final String API_KEY_HEADER = "X-Beacon-API-Key";

    private final ApiKeyService apiKeys;

    public Auth(ApiKeyService apiKeys) {
        this.apiKeys = apiKeys;
    }

    /** The authenticated principal; refuses with 401 when no valid credential is present. */
    public Principal principal(Context ctx) {
        String key = ctx.header(API_KEY_HEADER);
        if (key == null || key.isBlank()) {
            throw ApiError.unauthorized("Send an API key in the " + API_KEY_HEADER + " header (create one with `beacon admin api-key create`).");
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
