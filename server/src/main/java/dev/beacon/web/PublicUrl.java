package dev.beacon.web;

import io.javalin.http.Context;
import java.util.regex.Pattern;

/**
 * The URL robots and browsers reach this server at, as shown in the dashboard's install command and written into
 * {@code /install.sh}: {@code --public-url} when given, else the scheme and {@code Host} header of the request.
 * A {@code Host} header is the client's to choose, so one that is not a plain host name or address (with an
 * optional port) is refused rather than written into a script. Immutable.
 */
public final class PublicUrl {
    private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]{2,45}])(?::\\d{1,5})?");

    private final String configured;

    /** {@code configured} is the {@code --public-url} value, or null/blank to use each request's. */
    public PublicUrl(String configured) {
        this.configured = configured == null || configured.isBlank() ? null : configured.strip().replaceAll("/+$", "");
    }

    /** The base URL, without a trailing slash, for this request. */
    public String of(Context ctx) {
        if (configured != null) {
            return configured;
        }
        String host = ctx.header("Host");
        if (host == null || host.isBlank()) {
            host = ctx.host();
        }
        if (host == null || !HOST.matcher(host).matches()) {
            throw new ApiError(400, "bad_host_header",
                    "The Host header is not a host name or address; set --public-url so that Beacon knows its own URL.");
        }
        return ctx.scheme() + "://" + host;
    }
}
