package dev.beacon.apikeys;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.audit.Actor;
import dev.beacon.web.Auth;
import dev.beacon.web.JsonBody;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** HTTP for {@code /api/api-keys}: create (secret shown once), list, revoke, usage. Admin only. */
public final class ApiKeyRoutes {
    private final ApiKeyService service;
    private final Auth auth;
    private final ObjectMapper json;

    public ApiKeyRoutes(ApiKeyService service, Auth auth, ObjectMapper json) {
        this.service = service;
        this.auth = auth;
        this.json = json;
    }

    /** A key as listed; {@code key} is set only in the answer to its creation. */
    record KeyView(String id, String name, String prefix, Set<String> scopes, Instant createdAt, Instant lastUsedAt,
                   Instant revokedAt, @JsonInclude(JsonInclude.Include.NON_NULL) String key) {
        static KeyView of(ApiKey apiKey, String secret) {
            return new KeyView(apiKey.id(), apiKey.name(), apiKey.prefix(), apiKey.scopes(), apiKey.createdAt(),
                    apiKey.lastUsedAt(), apiKey.revokedAt(), secret);
        }
    }

    record UsageView(String id, List<DailyUsage> days) {
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/api-keys", this::create);
        routes.get("/api/api-keys", this::list);
        routes.get("/api/api-keys/{id}", ctx -> {
            Principal principal = auth.admin(ctx);
            ctx.json(KeyView.of(service.get(principal.orgId(), ctx.pathParam("id")), null));
        });
        routes.delete("/api/api-keys/{id}", ctx -> {
            Principal principal = auth.admin(ctx);
            ctx.json(KeyView.of(service.revoke(principal.orgId(), ctx.pathParam("id"), Actor.of(principal)), null));
        });
        routes.get("/api/api-keys/{id}/usage", ctx -> {
            Principal principal = auth.admin(ctx);
            ctx.json(new UsageView(ctx.pathParam("id"), service.usage(principal.orgId(), ctx.pathParam("id"))));
        });
    }

    private void create(Context ctx) {
        Principal principal = auth.admin(ctx);
        JsonBody body = JsonBody.of(ctx, json);
        String name = body.requiredString("name", 200);
        List<String> scopes = body.optionalStringList("scopes", 3, 20);
        ApiKeyService.Created created = service.create(principal.orgId(), name, scopes.isEmpty() ? List.of(Principal.JOBS) : scopes,
                Actor.of(principal));
        ctx.status(201).json(KeyView.of(created.key(), created.secret().value()));
    }

    private void list(Context ctx) {
        Principal principal = auth.admin(ctx);
        int limit = Page.limit(ctx);
        ctx.json(Page.of(service.list(principal.orgId(), Page.cursor(ctx), limit + 1), limit, ApiKey::id)
                .map(key -> KeyView.of(key, null)));
    }
}
