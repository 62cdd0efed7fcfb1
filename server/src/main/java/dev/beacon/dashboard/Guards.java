package dev.beacon.dashboard;

import dev.beacon.audit.Actor;
import dev.beacon.errors.DomainException;
import dev.beacon.web.ApiError;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The checks in front of every dashboard handler: a page needs a signed-in session (else a redirect to sign in), a
 * fragment the same (else 401 and {@code HX-Redirect}), and a form action also the session's CSRF token, turning a
 * refusal from a service into a one-time error message on the page the form came from (post/redirect/get). Also the
 * role checks and the security headers every page shares. The handlers it builds run on Javalin's request threads.
 * Thread-safe.
 */
final class Guards {
    /** A dashboard handler that runs once the session is known. */
    interface SessionHandler {
        void handle(Context ctx, Session session) throws Exception;
    }

    private final DashboardAuth auth;
    private final Flash flash;

    Guards(DashboardAuth auth, Flash flash) {
        this.auth = auth;
        this.flash = flash;
    }

    /** A full page: without a session, a redirect to the sign-in page that comes back here afterwards. */
    Handler page(SessionHandler page) {
        return ctx -> {
            var session = auth.session(ctx);
            if (session.isEmpty()) {
                String next = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
                ctx.redirect("/login?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
                return;
            }
            securityHeaders(ctx);
            page.handle(ctx, session.get());
        };
    }

    /** A fragment a page refreshes live: without a session, 401 and an {@code HX-Redirect} to the sign-in page. */
    Handler fragment(SessionHandler fragment) {
        return ctx -> {
            var session = auth.session(ctx);
            if (session.isEmpty()) {
                ctx.header("HX-Redirect", "/login");
                throw ApiError.unauthorized("Your session has ended; sign in again.");
            }
            securityHeaders(ctx);
            ctx.header("Cache-Control", "no-store");
            fragment.handle(ctx, session.get());
        };
    }

    /**
     * A form action: signed in, CSRF token checked, then run; a refusal from the service becomes a one-time error
     * message on the page the form came from.
     */
    Handler action(SessionHandler action) {
        return ctx -> {
            var session = auth.session(ctx);
            if (session.isEmpty()) {
                ctx.redirect("/login", HttpStatus.SEE_OTHER);
                return;
            }
            auth.requireCsrf(ctx, session.get());
            try {
                action.handle(ctx, session.get());
            } catch (DomainException refused) {
                flash.put(session.get().id(), Flash.Message.error(refused.detail()));
                ctx.redirect(back(ctx, "/"), HttpStatus.SEE_OTHER);
            } catch (ApiError error) {
                if (error.status() == 403 && "csrf_failed".equals(error.code())) {
                    throw error;
                }
                flash.put(session.get().id(), Flash.Message.error(error.detail()));
                ctx.redirect(back(ctx, "/"), HttpStatus.SEE_OTHER);
            }
        };
    }

    static void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("X-Frame-Options", "DENY");
    }

    /** Where to go after an action: the form's {@code back} field when it is a path on this server, else {@code fallback}. */
    static String back(Context ctx, String fallback) {
        String back = ctx.formParam("back");
        if (back != null && back.startsWith("/") && !back.startsWith("//") && !back.startsWith("/\\") && back.length() < 500
                && back.chars().noneMatch(c -> c < 0x20)) {
            return back;
        }
        return fallback;
    }

    static void requireOperator(Session session) {
        if (!session.role().canOperate()) {
            throw ApiError.forbidden("You are a viewer in " + session.orgName() + "; ask an admin for the operator role to do this.");
        }
    }

    static void requireAdmin(Session session) {
        if (!session.role().canAdminister()) {
            throw ApiError.forbidden("Only admins of " + session.orgName() + " can do this; you are " + session.role().label() + ".");
        }
    }

    /** Who the audit log names for an action of this session: the same actor as an API call made with it. */
    static Actor actor(Context ctx, Session session) {
        return Actor.of(session.principal(ctx.ip()));
    }
}
