package dev.beacon.dashboard;

import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.Principal;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;
import java.net.URI;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * The dashboard's side of authentication: the session cookie ({@code HttpOnly}, {@code SameSite=Lax}, {@code Secure}
 * over TLS) and CSRF protection. Every state-changing request made with a session must carry the session's CSRF
 * token, as the {@code _csrf} form field or the {@code X-CSRF-Token} header, and, when the browser sends an
 * {@code Origin}, come from this server's own origin. Thread-safe.
 */
public final class DashboardAuth implements Auth.SessionPrincipals {
    public static final String COOKIE = "beacon_session";
    public static final String CSRF_FIELD = "_csrf";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String ATTRIBUTE = "beacon.session";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final SessionStore sessions;

    public DashboardAuth(SessionStore sessions) {
        this.sessions = sessions;
    }

    /** The request's live session, looked up once per request. */
    public Optional<Session> session(Context ctx) {
        Optional<Session> cached = ctx.attribute(ATTRIBUTE);
        if (cached != null) {
            return cached;
        }
        Optional<Session> found = sessions.find(ctx.cookie(COOKIE));
        ctx.attribute(ATTRIBUTE, found);
        return found;
    }

    @Override
    public Optional<Principal> principal(Context ctx) {
        Optional<Session> session = session(ctx);
        session.ifPresent(s -> requireCsrf(ctx, s));
        return session.map(s -> s.principal(ctx.ip()));
    }

    /** Refuses (403 {@code csrf_failed}) a state-changing request that lacks the session's CSRF token or comes from another origin. */
    public void requireCsrf(Context ctx, Session session) {
        if (SAFE_METHODS.contains(ctx.method().name())) {
            return;
        }
        requireOurOrigin(ctx);
        String sent = ctx.header(CSRF_HEADER);
        if (sent == null && isForm(ctx)) {
            sent = ctx.formParam(CSRF_FIELD);
        }
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), session.csrfToken().getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(403, "csrf_failed", "The form's security token is missing or out of date. Reload the page and try again.");
        }
    }

    /** Refuses (403 {@code csrf_failed}) a request whose browser says it comes from another site's page. */
    public void requireOurOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin != null && !origin.equals("null") && !sameOrigin(origin, ctx)) {
            throw new ApiError(403, "csrf_failed", "This request came from another site (" + origin + ") and was refused.");
        }
    }

    private static boolean isForm(Context ctx) {
        String type = ctx.contentType();
        return type != null && (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data"));
    }

    private static boolean sameOrigin(String origin, Context ctx) {
        try {
            URI uri = URI.create(origin);
            String host = ctx.header("Host");
            String authority = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host != null && (host.equalsIgnoreCase(authority) || host.equalsIgnoreCase(uri.getRawAuthority()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Sets the session cookie after sign-in. */
    public void setCookie(Context ctx, String token) {
        Cookie cookie = new Cookie(COOKIE, token, "/", (int) SessionStore.ABSOLUTE.toSeconds(), isSecure(ctx), true, null, SameSite.LAX);
        ctx.cookie(cookie);
    }

    public void clearCookie(Context ctx) {
        Cookie cookie = new Cookie(COOKIE, "", "/", 0, isSecure(ctx), true, null, SameSite.LAX);
        ctx.cookie(cookie);
    }

    private static boolean isSecure(Context ctx) {
        return "https".equalsIgnoreCase(ctx.scheme());
    }
}
