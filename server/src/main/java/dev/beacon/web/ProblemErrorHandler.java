package dev.beacon.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error answers as problem JSON: requests Jetty refuses before any route runs (bad bytes or {@code %00}
 * in the path, an ambiguous path, a control byte in a header, headers over the size limit, …). Without it they get
 * Jetty's HTML page. Such a request may not even have a usable path, so every such answer is problem JSON, whatever
 * the path. Runs on Jetty's threads; stateless and thread-safe.
 */
public final class ProblemErrorHandler extends ErrorHandler {
    private final ObjectMapper json;

    public ProblemErrorHandler(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String text ? text : null;
        if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException httpException) {
            status = httpException.getCode();
            message = message != null ? message : httpException.getReason();
        }
        ApiError error = problem(status, message);
        response.setStatus(error.status());
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        if (HttpStatus.hasNoBody(error.status()) || "HEAD".equals(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json; charset=utf-8");
        response.write(true, ByteBuffer.wrap(Problems.body(json, error).getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    /** The refusal for a status Jetty chose; a version Jetty does not speak is the client's fault, so a 400. */
    static ApiError problem(int status, String message) {
        String reason = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        return switch (status) {
            case 400 -> new ApiError(400, "bad_request", "The request is malformed (" + reason + ").");
            case 413 -> new ApiError(413, "payload_too_large", "The request body is too large (" + reason + ").");
            case 414 -> new ApiError(414, "uri_too_long", "The request URI is too long; the limit is 8 KiB of request line.");
            case 431 -> new ApiError(431, "headers_too_large", "The request headers are too large; the limit is 8 KiB in all.");
            case 505 -> new ApiError(400, "unsupported_http_version", "Beacon speaks HTTP/1.1 (and HTTP/1.0); " + reason + ".");
            default -> status >= 500
                    ? new ApiError(status, status == 503 ? "unavailable" : "internal_error", "The server could not answer (" + reason + ").")
                    : new ApiError(status, "bad_request", "The request was refused (" + reason + ").");
        };
    }
}
