package dev.beacon.enrollment;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.audit.Actor;
import dev.beacon.robots.Registration;
import io.micrometer.core.instrument.MeterRegistry;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.JsonBody;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.IntSupplier;

/** HTTP for enrollment keys ({@code /api/enrollment-keys}) and claims ({@code POST /api/enroll}). */
public final class EnrollmentRoutes {
    private final EnrollmentService service;
    private final Auth auth;
    private final ObjectMapper json;
    private final Clock clock;
    private final IntSupplier heartbeatIntervalSeconds;
    /** The agents' WebSocket URL when {@code --public-url} fixes it; otherwise derived from each request. */
    private final String publicWebsocketUrl;
    private final MeterRegistry metrics;

    public EnrollmentRoutes(EnrollmentService service, Auth auth, ObjectMapper json, Clock clock,
                            IntSupplier heartbeatIntervalSeconds, String publicUrl, MeterRegistry metrics) {
        this.service = service;
        this.auth = auth;
        this.json = json;
        this.clock = clock;
        this.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
        this.publicWebsocketUrl = publicUrl == null || publicUrl.isBlank() ? null
                : publicUrl.strip().replaceFirst("^http", "ws").replaceAll("/+$", "") + "/api/agent/ws";
        this.metrics = metrics;
    }

    /** An enrollment key as the API shows it; {@code key_value} only for admins. */
    record KeyView(String id, String name, String siteId, String fleetId, int maxUses, int uses, Instant expiresAt,
                   Instant createdAt, Instant revokedAt, EnrollmentKeyStatus status, String keyPrefix, List<String> allowedCidrs,
                   String keyValue) {
    }

    /** The answer to a successful claim. */
    record Enrolled(String robotId, String robotToken, String organization, String site, String fleet,
                    String organizationId, String siteId, String fleetId, int heartbeatIntervalS, String websocketUrl,
                    boolean replaced) {
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/enrollment-keys", this::create);
        routes.get("/api/enrollment-keys", this::list);
        routes.get("/api/enrollment-keys/{id}", this::get);
        routes.post("/api/enrollment-keys/{id}/revoke", this::revoke);
        routes.post("/api/enroll", this::claim);
    }

    private void create(Context ctx) {
        Principal principal = auth.admin(ctx);
        JsonBody body = JsonBody.of(ctx, json);
        EnrollmentService.KeyRequest request = new EnrollmentService.KeyRequest(
                body.requiredString("site_id", 100),
                body.requiredString("fleet_id", 100),
                body.requiredString("name", 200),
                body.optionalInt("max_uses", 1, 1_000_000, 100),
                body.optionalInt("expires_in_hours", 1, 24 * 365, 24),
                body.optionalStringList("allowed_cidrs", 50, 64));
        EnrollmentKey key = service.create(principal.orgId(), request, Actor.of(principal));
        ctx.status(201).json(view(key, true));
    }

    private void list(Context ctx) {
        Principal principal = auth.reader(ctx);
        int limit = Page.limit(ctx);
        List<EnrollmentKey> fetched = service.list(principal.orgId(), Page.cursor(ctx), limit + 1);
        ctx.json(Page.of(fetched, limit, EnrollmentKey::id).map(key -> view(key, principal.isAdmin())));
    }

    private void get(Context ctx) {
        Principal principal = auth.reader(ctx);
        ctx.json(view(service.get(principal.orgId(), ctx.pathParam("id")), principal.isAdmin()));
    }

    private void revoke(Context ctx) {
        Principal principal = auth.admin(ctx);
        boolean cascade = JsonBody.of(ctx, json).optionalBoolean("cascade", false);
        ctx.json(view(service.revoke(principal.orgId(), ctx.pathParam("id"), cascade, Actor.of(principal)), true));
    }

    private void claim(Context ctx) {
        JsonBody body = JsonBody.of(ctx, json);
        String key = body.optionalString("enrollment_key", 500);
        if (key == null) {
            throw ApiError.validation("enrollment_key", "Field 'enrollment_key' is required: paste the rf_enroll_… key from API Management.");
        }
        Registration registration = new Registration(
                body.requiredString("name", 100),
                body.optionalString("hostname", 255),
                body.optionalString("os", 100),
                body.optionalString("arch", 50),
                body.optionalString("agent_version", 50),
                body.optionalStringList("capabilities", 100, 100),
                body.optionalStringMap("labels", 50, 200),
                ctx.ip());
        boolean replace = body.optionalBoolean("replace", false);
        Claim claim = service.claim(new EnrollmentService.ClaimRequest(key, registration, replace));
        metrics.counter("beacon.enrollments", "outcome", claim instanceof Claim.Refused refused ? refused.reason().code() : "enrolled")
                .increment();
        switch (claim) {
            case Claim.Enrolled enrolled -> ctx.status(201).json(new Enrolled(enrolled.robotId(), enrolled.token().value(),
                    enrolled.orgName(), enrolled.siteName(), enrolled.fleetName(), enrolled.orgId(), enrolled.siteId(), enrolled.fleetId(),
                    heartbeatIntervalSeconds.getAsInt(), websocketUrl(ctx), enrolled.replaced()));
            case Claim.Refused refused -> throw refused.reason().error(refused.detail());
        }
    }

    private String websocketUrl(Context ctx) {
        if (publicWebsocketUrl != null) {
            return publicWebsocketUrl;
        }
        return ("https".equals(ctx.scheme()) ? "wss://" : "ws://") + ctx.host() + "/api/agent/ws";
    }

    private KeyView view(EnrollmentKey key, boolean withValue) {
        return new KeyView(key.id(), key.name(), key.siteId(), key.fleetId(), key.maxUses(), key.uses(), key.expiresAt(),
                key.createdAt(), key.revokedAt(), key.status(clock.instant()), key.keyPrefix(), key.allowedCidrs(),
                withValue ? service.rawValue(key) : null);
    }

}
