package dev.beacon.openapi;

import dev.beacon.web.ApiError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The API's contract: {@code GET /api/openapi.json} serves the OpenAPI 3.1 document kept by hand in
 * {@code openapi/beacon.json} (tests keep it true: every {@code /api} route is in it and nothing else, and real answers
 * validate against its schemas), and {@code /swagger-ui/…} the two Swagger UI files that the dashboard's API reference
 * page loads, from the swagger-ui webjar, so the page needs no CDN. Neither needs authentication: the document
 * describes the API and holds no data, like docs/api.md. The document is read once at start. Thread-safe.
 */
public final class OpenApiRoutes {
    /** Where the document is on the class path. */
    public static final String DOCUMENT = "/openapi/beacon.json";
    /** The swagger-ui webjar's version, as server/pom.xml pins it; its files are under this folder of the jar. */
    static final String SWAGGER_UI = "/META-INF/resources/webjars/swagger-ui/5.34.1/";
    /** The Swagger UI files served, with their content types; no other file of the webjar is. */
    static final Map<String, String> SWAGGER_UI_FILES = Map.of(
            "swagger-ui-bundle.js", "text/javascript; charset=utf-8",
            "swagger-ui.css", "text/css; charset=utf-8");

    private final byte[] document;

    public OpenApiRoutes() {
        this.document = read(DOCUMENT);
        for (String file : SWAGGER_UI_FILES.keySet()) {
            if (OpenApiRoutes.class.getResource(SWAGGER_UI + file) == null) {
                throw new IllegalStateException("the swagger-ui webjar has no " + SWAGGER_UI + file + "; is its version in server/pom.xml "
                        + "the one OpenApiRoutes names?");
            }
        }
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/openapi.json", ctx -> ctx.contentType("application/json").header("Cache-Control", "no-cache").result(document));
        routes.get("/swagger-ui/{file}", this::swaggerUi);
    }

    private void swaggerUi(Context ctx) {
        String file = ctx.pathParam("file");
        String type = SWAGGER_UI_FILES.get(file);
        if (type == null) {
            throw new ApiError(404, "not_found", "There is no GET " + ctx.path() + " endpoint.");
        }
        InputStream in = OpenApiRoutes.class.getResourceAsStream(SWAGGER_UI + file);
        // A day: the file changes only with the webjar's version, which changes only with Beacon's.
        ctx.contentType(type).header("Cache-Control", "max-age=86400").result(in);
    }

    private static byte[] read(String resource) {
        try (InputStream in = OpenApiRoutes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
