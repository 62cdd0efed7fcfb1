package dev.beacon.dashboard;

import dev.beacon.audit.AuditLog;
import dev.beacon.enrollment.EnrollmentKey;
import dev.beacon.enrollment.EnrollmentKeyStatus;
import dev.beacon.enrollment.EnrollmentService;
import dev.beacon.web.PublicUrl;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API Management page ({@code /}): the queue, API keys, enrollment tokens and a summary of the machines
 * ({@link MachinesPage}), the fragments that refresh each section live, and the buttons that create and revoke keys and tokens, which
 * call the same {@link dev.beacon.apikeys.ApiKeyService} and {@link EnrollmentService} methods as the API, audit
 * included. Its handlers run on Javalin's request threads. Thread-safe.
 */
final class ApiManagementPage {
    private final DashboardRoutes.Services services;
    private final MachinesPage machines;
    private final PageKit kit;
    private final PublicUrl publicUrl;

    ApiManagementPage(DashboardRoutes.Services services, MachinesPage machines, PageKit kit, PublicUrl publicUrl) {
        this.services = services;
        this.publicUrl = publicUrl;
        this.machines = machines;
        this.kit = kit;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/", guards.page(this::page));
        routes.get("/fragments/apikeys", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/apikeys.jte",
                Map.of("v", apiKeysView(s), "chrome", kit.chrome(s, "management", "")))));
        routes.get("/fragments/tokens", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/tokens.jte",
                Map.of("v", tokensView(ctx, s, OrgSetup.of(services.orgs(), s.orgId())), "chrome", kit.chrome(s, "management", "")))));
        routes.get("/fragments/queue", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/queue.jte",
                Map.of("q", services.jobs().figures(s.orgId())))));
        routes.get("/ui/enrollment-tokens/{id}/value", guards.fragment(this::tokenValue));
        routes.post("/ui/api-keys", guards.action(this::createApiKey));
        routes.post("/ui/api-keys/{id}/revoke", guards.action(this::revokeApiKey));
        routes.post("/ui/enrollment-tokens", guards.action(this::createToken));
        routes.post("/ui/enrollment-tokens/{id}/revoke", guards.action(this::revokeToken));
    }

    private void page(Context ctx, Session session) {
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        Views.ManagementView view = new Views.ManagementView(apiKeysView(session), tokensView(ctx, session, setup),
                machines.summary(session, setup.places()), services.jobs().figures(session.orgId()));
        kit.views().render(ctx, "management.jte", Map.of("chrome", kit.chromeWithFlash(session, "management", "API Management"), "v", view));
    }

    /** The organization's keys, usable ones first, newest first within each group, with each used key's last week of requests. */
    private Views.ApiKeysView apiKeysView(Session session) {
        var keys = services.apiKeys().list(session.orgId(), null, DashboardRoutes.LIST_LIMIT).stream()
                .sorted((a, b) -> Boolean.compare(a.isRevoked(), b.isRevoked()) != 0 ? Boolean.compare(a.isRevoked(), b.isRevoked())
                        : b.createdAt().compareTo(a.createdAt()))
                .toList();
        String weekAgo = LocalDate.ofInstant(kit.clock().instant(), ZoneOffset.UTC).minusDays(6).toString();
        Map<String, Map<String, Long>> lastWeek = new HashMap<>();
        for (var key : keys) {
            if (key.lastUsedAt() != null) {
                Map<String, Long> days = new LinkedHashMap<>();
                services.apiKeys().usage(session.orgId(), key.id()).stream().filter(day -> day.day().compareTo(weekAgo) >= 0)
                        .forEach(day -> days.put(day.day(), day.requests()));
                lastWeek.put(key.id(), days);
            }
        }
        return new Views.ApiKeysView(keys, lastWeek, kit.clock().instant());
    }

    private Views.TokensView tokensView(Context ctx, Session session, OrgSetup setup) {
        Instant now = kit.clock().instant();
        List<EnrollmentKey> tokens = new ArrayList<>(services.enrollment().list(session.orgId(), null, DashboardRoutes.LIST_LIMIT));
        // Usable tokens first, newest first within each group.
        tokens.sort((a, b) -> {
            int active = Boolean.compare(a.status(now) != EnrollmentKeyStatus.ACTIVE, b.status(now) != EnrollmentKeyStatus.ACTIVE);
            return active != 0 ? active : b.createdAt().compareTo(a.createdAt());
        });
        return new Views.TokensView(tokens, setup.sites(), setup.fleets(), setup.places(), now,
                InstallCommands.forServer(publicUrl.of(ctx)));
    }

    /**
     * An enrollment token's value, for an admin's copy button. The API hands admins the value in every read of a key
     * ({@code key_value}) without an audit event; this button is a deliberate reveal, so it is audited.
     */
    private void tokenValue(Context ctx, Session session) {
        Guards.requireAdmin(session);
        EnrollmentKey key = services.enrollment().get(session.orgId(), ctx.pathParam("id"));
        String value = services.enrollment().rawValue(key);
        services.audit().append(new AuditLog.Entry(session.orgId(), Guards.actor(ctx, session), "enrollment_key.revealed", "enrollment_key",
                key.id(), null));
        ctx.contentType("text/plain; charset=utf-8").result(value);
    }

    private void createApiKey(Context ctx, Session session) {
        Guards.requireAdmin(session);
        List<String> scopes = ctx.formParams("scopes");
        var created = services.apiKeys().create(session.orgId(), ctx.formParam("name"), scopes.isEmpty() ? List.of("jobs") : scopes,
                Guards.actor(ctx, session));
        kit.flash().put(session.id(), new Flash.Message("secret", "API key '" + created.key().name() + "' created.", "Your new API key",
                created.secret().value(), "This is the only time Beacon shows it. Send it in the X-Beacon-API-Key header.", null));
        ctx.redirect("/", HttpStatus.SEE_OTHER); // the key is shown at the top of the page
    }

    private void revokeApiKey(Context ctx, Session session) {
        Guards.requireAdmin(session);
        var key = services.apiKeys().revoke(session.orgId(), ctx.pathParam("id"), Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("API key '" + key.name() + "' revoked; requests with it are refused from now on."));
        ctx.redirect("/#api-keys", HttpStatus.SEE_OTHER);
    }

    private void createToken(Context ctx, Session session) {
        Guards.requireAdmin(session);
        int maxUses = Form.number(ctx, "max_uses", 1, 1_000_000, 1);
        int hours = Form.number(ctx, "expires_in_hours", 1, 24 * 365, 24);
        String cidrs = Form.blankToNull(ctx.formParam("allowed_cidrs"));
        List<String> allowed = cidrs == null ? List.of() : List.of(cidrs.split("[,\\s]+")).stream().filter(s -> !s.isBlank()).toList();
        var request = new EnrollmentService.KeyRequest(Form.required(ctx, "site_id", "Choose a site."),
                Form.required(ctx, "fleet_id", "Choose a fleet."),
                Form.required(ctx, "name", "Give the token a name, e.g. the batch of machines it is for."), maxUses, hours, allowed);
        EnrollmentKey key = services.enrollment().create(session.orgId(), request, Guards.actor(ctx, session));
        String value = services.enrollment().rawValue(key);
        kit.flash().put(session.id(), new Flash.Message("secret", "Enrollment token '" + key.name() + "' created: "
                + (maxUses == 1 ? "one-time use" : maxUses + " uses") + ", expires in " + hours + " h.", "Your new enrollment token", value,
                "Admins can copy it again from the list until it is used up. Paste it on each new machine when asked.",
                InstallCommands.forServer(publicUrl.of(ctx))));
        ctx.redirect("/", HttpStatus.SEE_OTHER); // the token is shown at the top of the page
    }

    private void revokeToken(Context ctx, Session session) {
        Guards.requireAdmin(session);
        boolean cascade = ctx.formParam("cascade") != null;
        EnrollmentKey key = services.enrollment().revoke(session.orgId(), ctx.pathParam("id"), cascade, Guards.actor(ctx, session));
        kit.flash().put(session.id(), Flash.Message.notice("Enrollment token '" + key.name() + "' revoked"
                + (cascade ? ", with every machine that enrolled with it." : "; machines that enrolled with it keep working.")));
        ctx.redirect("/#enrollment-tokens", HttpStatus.SEE_OTHER);
    }
}
