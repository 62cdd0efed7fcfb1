package dev.beacon.dashboard;

import io.javalin.config.RoutesConfig;
import java.util.Map;

/**
 * The API reference page ({@code /api-reference}): Swagger UI rendering {@code /api/openapi.json}, all of it served by
 * Beacon (the webjar's files under {@code /swagger-ui/}, the initialiser {@code /assets/api-reference.js}), so the page
 * needs no CDN and keeps the dashboard's Content-Security-Policy. Any signed-in member may read it; "Try it out" sends
 * requests with the session, and the initialiser adds the session's CSRF token to them. Thread-safe.
 */
final class ApiReferencePage {
    private final PageKit kit;

    ApiReferencePage(PageKit kit) {
        this.kit = kit;
    }

    void register(RoutesConfig routes) {
        routes.get("/api-reference", kit.guards().page((ctx, s) -> kit.views().render(ctx, "api_reference.jte",
                Map.of("chrome", kit.chromeWithFlash(s, "api-reference", "API reference")))));
    }
}
