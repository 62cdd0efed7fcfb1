package dev.beacon.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.errors.Conflict;
import dev.beacon.errors.DomainException;
import dev.beacon.errors.Invalid;
import dev.beacon.errors.NotFound;
import dev.beacon.errors.RateLimited;
import dev.beacon.errors.Refused;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps every error to RFC 9457 problem JSON: the one place where domain refusals become HTTP.
 * Unexpected exceptions become a 500 with an opaque incident id (the stack trace goes to the log only).
 */
public final class Problems {
    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private Problems() {
    }

    /**
     * Installs the exception and error handlers on a Javalin config; called once while wiring. {@code html} answers
     * instead for a browser asking for a dashboard page (not {@code /api/}), so people see a page rather than JSON.
     */
    public static void install(JavalinConfig config, ObjectMapper json, BiConsumer<Context, ApiError> html) {
        BiConsumer<Context, ApiError> answer = (ctx, error) -> {
            if (wantsHtml(ctx)) {
                html.accept(ctx, error);
            } else {
                write(ctx, json, error);
            }
        };
        installHandlers(config, answer);
    }

    /** Installs the handlers with problem JSON for every answer. */
    public static void install(JavalinConfig config, ObjectMapper json) {
        installHandlers(config, (ctx, error) -> write(ctx, json, error));
    }

    private static boolean wantsHtml(Context ctx) {
        String accept = ctx.header("Accept");
        return accept != null && accept.contains("text/html") && !ctx.path().startsWith("/api/") && !ctx.path().startsWith("/fragments/");
    }

    private static void installHandlers(JavalinConfig config, BiConsumer<Context, ApiError> answer) {
        config.routes.exception(ApiError.class, (error, ctx) -> answer.accept(ctx, error));
        config.routes.exception(DomainException.class, (error, ctx) -> answer.accept(ctx, problem(error)));
        config.routes.exception(HttpResponseException.class, (error, ctx) -> answer.accept(ctx, fromHttp(ctx, error.getStatus(), error.getMessage())));
        config.routes.exception(Exception.class, (error, ctx) -> {
            String incident = Long.toHexString(Double.doubleToLongBits(Math.random()));
            log.error("unexpected error handling {} {} (incident {})", ctx.method(), ctx.path(), incident, error);
            answer.accept(ctx, new ApiError(500, "internal_error",
                    "Something went wrong on the server (incident " + incident + "). The details are in the server log."));
        });
        config.routes.error(404, "*", ctx -> {
            if (!isProblem(ctx) && !isHtml(ctx)) {
                answer.accept(ctx, new ApiError(404, "not_found", "There is no " + ctx.method() + " " + ctx.path() + " endpoint."));
            }
        });
        config.routes.error(405, "*", ctx -> {
            if (!isProblem(ctx) && !isHtml(ctx)) {
                answer.accept(ctx, new ApiError(405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path() + "."));
            }
        });
    }

    private static boolean isHtml(Context ctx) {
        String type = ctx.res().getContentType();
        return type != null && type.startsWith("text/html");
    }

    private static boolean isProblem(Context ctx) {
        String type = ctx.res().getContentType();
        return type != null && type.startsWith("application/problem+json");
    }

    /**
     * The HTTP answer for a domain error: the one place where a service's refusal gets a status. Codes, details and
     * fields pass through unchanged.
     */
    public static ApiError problem(DomainException error) {
        return switch (error) {
            case NotFound notFound -> new ApiError(404, notFound.code(), notFound.detail());
            case Invalid invalid -> new ApiError(invalid.contradictsStored() ? 422 : 400, invalid.code(), invalid.detail(), invalid.field(), null);
            case Conflict conflict -> new ApiError(409, conflict.code(), conflict.detail());
            case Refused refused -> new ApiError(switch (refused.grounds()) {
                case CREDENTIALS -> 401;
                case PERMISSION -> 403;
            }, refused.code(), refused.detail());
            case RateLimited limited -> new ApiError(429, limited.code(), limited.detail(), null, limited.retryAfterSeconds());
        };
    }

    static ApiError fromHttp(Context ctx, int status, String message) {
        return switch (status) {
            case 413 -> new ApiError(413, "payload_too_large", "The request body is too large; the limit is " + BodyLimit.MAX_BODY_BYTES / 1024 + " KiB.");
            case 404 -> new ApiError(404, "not_found", "There is no " + ctx.method() + " " + ctx.path() + " endpoint.");
            case 405 -> new ApiError(405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path() + ".");
            case 401 -> ApiError.unauthorized(message);
            case 403 -> ApiError.forbidden(message);
            default -> new ApiError(status, status >= 500 ? "internal_error" : "bad_request", message == null ? "Bad request." : message);
        };
    }

    /** Writes {@code error} as the response. */
    public static void write(Context ctx, ObjectMapper json, ApiError error) {
        if (error.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Long.toString(error.retryAfterSeconds()));
        }
        ctx.status(error.status());
        ctx.contentType("application/problem+json; charset=utf-8");
        ctx.result(body(json, error));
    }

    /**
     * Writes {@code error} as the answer to a request that no route handles (Jetty's own API, beneath Javalin), and
     * completes {@code callback} when it is written.
     */
    public static void write(Response response, Callback callback, ObjectMapper json, ApiError error) {
        byte[] body = body(json, error).getBytes(StandardCharsets.UTF_8);
        response.setStatus(error.status());
        if (error.retryAfterSeconds() != null) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(error.retryAfterSeconds()));
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** The problem JSON document for {@code error}. */
    public static String body(ObjectMapper json, ApiError error) {
        ObjectNode body = json.createObjectNode();
        body.put("type", "https://beacon.dev/problems/" + error.code().replace('_', '-'));
        body.put("title", title(error.status()));
        body.put("status", error.status());
        body.put("code", error.code());
        body.put("detail", error.detail());
        if (error.field() != null) {
            body.put("field", error.field());
        }
        return body.toString();
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 426 -> "Upgrade Required";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Error";
        };
    }
}
