package dev.beacon.dashboard;

import dev.beacon.apikeys.ApiKeyService;
import dev.beacon.audit.AuditLog;
import dev.beacon.enrollment.EnrollmentKey;
import dev.beacon.enrollment.EnrollmentKeyStatus;
import dev.beacon.enrollment.EnrollmentService;
import dev.beacon.errors.Invalid;
import dev.beacon.web.ApiError;
import dev.beacon.web.Problems;
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
    /** The longest key or token name: what {@code POST /api/api-keys} accepts. */
    private static final int MAX_KEY_NAME = 200;
    private static final java.util.Set<String> TOKEN_FIELDS = java.util.Set.of("name", "site_id", "fleet_id", "max_uses", "expires_in_hours");
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
                Map.of("q", services.jobs().figures(s.orgId()), "charts", queueCharts(s)))));
        routes.get("/ui/enrollment-tokens/{id}/value", guards.fragment(this::tokenValue));
        routes.post("/ui/api-keys", guards.action(this::createApiKey));
        routes.post("/ui/api-keys/{id}/revoke", guards.action(this::revokeApiKey));
        routes.post("/ui/enrollment-tokens", guards.action(this::createToken));
        routes.post("/ui/enrollment-tokens/{id}/revoke", guards.action(this::revokeToken));
    }

    private void page(Context ctx, Session session) {
        render(ctx, session, kit.chromeWithFlash(session, "management", "API Management"), FormState.EMPTY, FormState.EMPTY);
    }

    /**
     * The page with the API key form as {@code keyForm} and the token form as {@code tokenForm} ({@link FormState#EMPTY}
     * for a fresh one); a form sent back with errors shows them in place.
     */
    private void render(Context ctx, Session session, Views.Chrome chrome, FormState keyForm, FormState tokenForm) {
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        Views.ManagementView view = new Views.ManagementView(apiKeysView(session), tokensView(ctx, session, setup),
                machines.summary(session, setup.places()), services.jobs().figures(session.orgId()));
        kit.views().render(ctx, "management.jte", Map.of("chrome", chrome, "v", view, "keyForm", keyForm, "tokenForm", tokenForm,
                "queueCharts", queueCharts(session)));
    }

    /** The organization's queue over the last hour and day, for Queue Status. */
    private QueueCharts queueCharts(Session session) {
        return QueueCharts.of("queue-chart", "", services.jobs().history(session.orgId(), null));
    }

    /** Shows the page again with {@code form} in place of the fresh one, answering {@code status}. */
    private void refuse(Context ctx, Session session, int status, FormState keyForm, FormState tokenForm) {
        render(ctx, session, kit.chrome(session, "management", "API Management"), keyForm, tokenForm);
        ctx.status(status);
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

    /**
     * Creates a key from the form. A name missing, too long or already used by a usable key, or no scope ticked, shows
     * the page again (400, or 422 for a name in use) with each message beside its field and the values kept. The API
     * itself accepts duplicate names; the dashboard refuses them because two keys with one name cannot be told apart
     * in the list. Two admins creating the same name at once may both succeed: a tolerable race for a warning.
     */
    private void createApiKey(Context ctx, Session session) {
        Guards.requireAdmin(session);
        String name = Form.blankToNull(ctx.formParam("name"));
        List<String> scopes = ctx.formParams("scopes");
        Map<String, String> errors = new LinkedHashMap<>();
        boolean nameTaken = false;
        if (name == null) {
            errors.put("name", "Give the key a name, e.g. the service or environment that uses it.");
        } else if (name.length() > MAX_KEY_NAME) {
            errors.put("name", "The name must be at most " + MAX_KEY_NAME + " characters; it has " + name.length() + ".");
        } else if (services.apiKeys().list(session.orgId(), null, DashboardRoutes.LIST_LIMIT).stream()
                .anyMatch(key -> !key.isRevoked() && key.name().equals(name))) {
            nameTaken = true;
            errors.put("name", "An API key named '" + name + "' already exists. Choose another name, or revoke that key first.");
        }
        if (scopes.isEmpty()) {
            errors.put("scopes", "Choose at least one scope.");
        }
        if (!errors.isEmpty()) {
            refuse(ctx, session, nameTaken ? 422 : 400, FormState.of(ctx, errors, null), FormState.EMPTY);
            return;
        }
        ApiKeyService.Created created;
        try {
            created = services.apiKeys().create(session.orgId(), name, scopes, Guards.actor(ctx, session));
        } catch (Invalid invalid) {
            String field = "scopes".equals(invalid.field()) ? "scopes" : "name";
            refuse(ctx, session, Problems.problem(invalid).status(), FormState.of(ctx, Map.of(field, invalid.detail()), null), FormState.EMPTY);
            return;
        }
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

    /**
     * Creates an enrollment token from the form. Every faulty field (name, site, fleet, uses, expiry, addresses) shows
     * the page again (400, or 422 when it contradicts what is stored) with its message beside it and the values kept.
     */
    private void createToken(Context ctx, Session session) {
        Guards.requireAdmin(session);
        Map<String, String> errors = new LinkedHashMap<>();
        String name = collect(errors, () -> Form.limited(Form.required(ctx, "name", "Give the token a name, e.g. the batch of machines it is for."),
                "name", MAX_KEY_NAME));
        String siteId = collect(errors, () -> Form.required(ctx, "site_id", "Choose a site."));
        String fleetId = collect(errors, () -> Form.required(ctx, "fleet_id", "Choose a fleet."));
        Integer maxUses = collect(errors, () -> Form.number(ctx, "max_uses", 1, 1_000_000, 1));
        Integer hours = collect(errors, () -> Form.number(ctx, "expires_in_hours", 1, 24 * 365, 24));
        if (!errors.isEmpty()) {
            refuse(ctx, session, 400, FormState.EMPTY, FormState.of(ctx, errors, null));
            return;
        }
        String cidrs = Form.blankToNull(ctx.formParam("allowed_cidrs"));
        List<String> allowed = cidrs == null ? List.of() : List.of(cidrs.split("[,\\s]+")).stream().filter(s -> !s.isBlank()).toList();
        var request = new EnrollmentService.KeyRequest(siteId, fleetId, name, maxUses, hours, allowed);
        EnrollmentKey key;
        try {
            key = services.enrollment().create(session.orgId(), request, Guards.actor(ctx, session));
        } catch (Invalid invalid) {
            String field = invalid.field() != null && TOKEN_FIELDS.contains(invalid.field()) ? invalid.field() : null;
            FormState form = field == null ? FormState.of(ctx, Map.of(), invalid.detail()) : FormState.of(ctx, Map.of(field, invalid.detail()), null);
            refuse(ctx, session, Problems.problem(invalid).status(), FormState.EMPTY, form);
            return;
        }
        String value = services.enrollment().rawValue(key);
        kit.flash().put(session.id(), new Flash.Message("secret", "Enrollment token '" + key.name() + "' created: "
                + (maxUses == 1 ? "one-time use" : maxUses + " uses") + ", expires in " + hours + " h.", "Your new enrollment token", value,
                "Admins can copy it again from the list until it is used up. Paste it on each new machine when asked.",
                InstallCommands.forServer(publicUrl.of(ctx))));
        ctx.redirect("/", HttpStatus.SEE_OTHER); // the token is shown at the top of the page
    }

    /** {@code read}'s value, or null after putting its validation message into {@code errors} under its field. */
    private static <T> T collect(Map<String, String> errors, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (ApiError error) {
            if (error.field() == null) {
                throw error;
            }
            errors.putIfAbsent(error.field(), error.detail());
            return null;
        }
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
