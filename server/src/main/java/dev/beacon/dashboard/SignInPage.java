package dev.beacon.dashboard;

import dev.beacon.web.ApiError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.HashMap;
import java.util.Map;

/**
 * Signing in ({@code /login}), signing out and switching the session to another of the user's organizations. Its
 * handlers run on Javalin's request threads. Thread-safe.
 */
final class SignInPage {
    private final DashboardAuth auth;
    private final SessionStore sessions;
    private final SignIn signIn;
    private final PageKit kit;

    SignInPage(DashboardAuth auth, SessionStore sessions, SignIn signIn, PageKit kit) {
        this.auth = auth;
        this.sessions = sessions;
        this.signIn = signIn;
        this.kit = kit;
    }

    void register(RoutesConfig routes) {
        routes.get("/login", this::loginPage);
        routes.post("/login", this::login);
        routes.post("/logout", kit.guards().action((ctx, s) -> {
            sessions.close(s.id());
            auth.clearCookie(ctx);
            ctx.redirect("/login?signed_out=1", HttpStatus.SEE_OTHER);
        }));
        routes.post("/ui/org", kit.guards().action(this::switchOrganization));
    }

    private void loginPage(Context ctx) {
        Guards.securityHeaders(ctx);
        if (auth.session(ctx).isPresent()) {
            ctx.redirect(safeNext(ctx.queryParam("next")), HttpStatus.SEE_OTHER);
            return;
        }
        Map<String, Object> params = new HashMap<>();
        params.put("error", null);
        params.put("notice", ctx.queryParam("signed_out") != null ? "You are signed out." : null);
        params.put("username", "");
        params.put("next", safeNext(ctx.queryParam("next")));
        kit.views().render(ctx, "login.jte", params);
    }

    private void login(Context ctx) {
        Guards.securityHeaders(ctx);
        auth.requireOurOrigin(ctx); // no signing a victim's browser into the attacker's account from another site
        String username = ctx.formParam("username");
        String next = safeNext(ctx.formParam("next"));
        try {
            SessionStore.Opened opened = signIn.signIn(username, ctx.formParam("password"), ctx.ip(), ctx.userAgent());
            auth.setCookie(ctx, opened.token());
            ctx.redirect(next, HttpStatus.SEE_OTHER);
        } catch (ApiError refused) {
            Map<String, Object> params = new HashMap<>();
            params.put("error", refused.detail());
            params.put("notice", null);
            params.put("username", username == null ? "" : username);
            params.put("next", next);
            if (refused.retryAfterSeconds() != null) {
                ctx.header("Retry-After", Long.toString(refused.retryAfterSeconds()));
            }
            kit.views().render(ctx, "login.jte", params);
            ctx.status(refused.status());
        }
    }

    /** Where to go after signing in: {@code next} when it is a path on this server (not the sign-in page), else {@code /}. */
    private static String safeNext(String next) {
        if (next != null && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") && !next.startsWith("/login")
                && next.length() < 500 && next.chars().noneMatch(c -> c < 0x20)) {
            return next;
        }
        return "/";
    }

    private void switchOrganization(Context ctx, Session session) {
        String orgId = ctx.formParam("org_id");
        var membership = kit.users().memberships(session.userId()).stream().filter(m -> m.orgId().equals(orgId)).findFirst()
                .orElseThrow(() -> ApiError.forbidden("You are not a member of that organization."));
        sessions.switchOrganization(session.id(), membership.orgId());
        kit.flash().put(session.id(), Flash.Message.notice("Switched to " + membership.orgName() + " (you are " + membership.role() + " there)."));
        ctx.redirect("/", HttpStatus.SEE_OTHER);
    }
}
