package dev.beacon.dashboard;

import dev.beacon.errors.NotFound;
import dev.beacon.robots.Robot;
import dev.beacon.web.ApiError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The Machines page ({@code /machines}): the organization's machines searched, counted per state, sorted and paged
 * on the server ({@link MachineSearch}); its live fragment ({@code /fragments/machines}, same query string); the
 * machine summary of the API Management page ({@code /fragments/machine-summary}); and the bulk pause, resume and
 * remove of the ticked machines ({@code POST /ui/machines/bulk}), which call the same
 * {@link dev.beacon.robots.RobotService} methods as the API, audit included. Its handlers run on Javalin's request
 * threads. Thread-safe.
 */
final class MachinesPage {
    /** The most machines one bulk action takes: more than a page, so a page's worth always fits. */
    static final int BULK_LIMIT = 500;
    /** Machines the API Management page lists as needing a look. */
    static final int ATTENTION = 5;

    private final DashboardRoutes.Services services;
    private final MachineSearch search;
    private final PageKit kit;
    private final Duration heartbeatInterval;

    MachinesPage(DashboardRoutes.Services services, MachineSearch search, PageKit kit, Duration heartbeatInterval) {
        this.services = services;
        this.search = search;
        this.kit = kit;
        this.heartbeatInterval = heartbeatInterval;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/machines", guards.page((ctx, s) -> kit.views().render(ctx, "machines.jte",
                Map.of("chrome", kit.chromeWithFlash(s, "machines", "Machines"), "v", list(ctx, s)))));
        routes.get("/fragments/machines", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/machines.jte",
                Map.of("v", list(ctx, s), "chrome", kit.chrome(s, "machines", "")))));
        routes.get("/fragments/machine-summary", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/machine_summary.jte",
                Map.of("v", summary(s, OrgSetup.of(services.orgs(), s.orgId()).places())))));
        routes.post("/ui/machines/bulk", guards.action(this::bulk));
    }

    /**
     * The oldest last heartbeat a connected machine may have and still count as responsive: two heartbeat intervals
     * ago. One missed heartbeat is normal jitter (and {@code last_seen_at} is written in batches every half interval);
     * two mean the agent stopped talking, well before the server gives up on the socket after three.
     */
    Instant responsiveSince(Instant now) {
        return now.minus(heartbeatInterval.multipliedBy(2));
    }

    private MachineListView list(Context ctx, Session session) {
        MachineQuery query = MachineQuery.of(ctx);
        Instant now = kit.clock().instant();
        Instant since = responsiveSince(now);
        String orgId = session.orgId();
        Map<MachineState, Long> counts = search.counts(orgId, query, since);
        MachineState state = query.status() == null ? null : MachineState.fromTag(query.status()).orElse(null);
        List<MachineListView.Row> rows = rows(orgId, search.page(orgId, query, state, since, query.offset(), MachineQuery.PAGE_SIZE));
        return new MachineListView(query, counts, rows, OrgSetup.of(services.orgs(), orgId).places(), now, kit.nodes().several(),
                session.role().canOperate(), session.role().canAdminister());
    }

    /** The summary on the API Management page. */
    MachineSummaryView summary(Session session, Views.Places places) {
        Instant now = kit.clock().instant();
        Instant since = responsiveSince(now);
        String orgId = session.orgId();
        List<MachineSearch.Hit> hits = new ArrayList<>(search.page(orgId, new MachineQuery(null, null, "last_seen", false, 1, null, null),
                MachineState.UNRESPONSIVE, since, 0, ATTENTION));
        if (hits.size() < ATTENTION) {
            hits.addAll(search.page(orgId, new MachineQuery(null, null, "last_seen", true, 1, null, null), MachineState.OFFLINE, since, 0,
                    ATTENTION - hits.size()));
        }
        return new MachineSummaryView(search.counts(orgId, MachineQuery.ALL, since), rows(orgId, hits), places, now);
    }

    private List<MachineListView.Row> rows(String orgId, List<MachineSearch.Hit> hits) {
        Map<String, Robot> robots = services.robots().byIds(orgId, hits.stream().map(MachineSearch.Hit::id).toList()).stream()
                .collect(Collectors.toMap(Robot::id, Function.identity()));
        Map<String, String> kinds = search.jobKinds(orgId, robots.values().stream().map(Robot::currentJobId).toList());
        List<MachineListView.Row> rows = new ArrayList<>();
        for (MachineSearch.Hit hit : hits) {
            Robot robot = robots.get(hit.id());
            if (robot != null) {
                rows.add(new MachineListView.Row(robot, hit.state(), robot.currentJobId() == null ? null : kinds.get(robot.currentJobId())));
            }
        }
        return rows;
    }

    /** Pauses, resumes or removes the ticked machines; one message says how many, and which could not be. */
    private void bulk(Context ctx, Session session) {
        String action = Form.choice(ctx.formParam("action"), java.util.Set.of("pause", "resume", "remove"));
        if (action == null) {
            throw ApiError.validation("action", "Choose pause, resume or remove.");
        }
        if (action.equals("remove")) {
            Guards.requireAdmin(session);
        } else {
            Guards.requireOperator(session);
        }
        LinkedHashSet<String> ids = new LinkedHashSet<>(ctx.formParams("id"));
        if (ids.isEmpty()) {
            throw ApiError.validation("id", "Tick at least one machine first.");
        }
        if (ids.size() > BULK_LIMIT) {
            throw ApiError.validation("id", "At most " + BULK_LIMIT + " machines at once; you ticked " + ids.size() + ".");
        }
        int done = 0;
        int gone = 0;
        for (String id : ids) {
            try {
                switch (action) {
                    case "pause" -> services.robotService().setPaused(session.orgId(), id, true, Guards.actor(ctx, session));
                    case "resume" -> services.robotService().setPaused(session.orgId(), id, false, Guards.actor(ctx, session));
                    default -> services.robotService().remove(session.orgId(), id, Guards.actor(ctx, session));
                }
                done++;
            } catch (NotFound removedMeanwhile) {
                gone++;
            }
        }
        boolean one = done == 1;
        String verb = switch (action) {
            case "pause" -> one ? "paused: it gets no jobs until you resume it" : "paused: they get no jobs until you resume them";
            case "resume" -> "resumed and can take jobs again";
            default -> one ? "removed: its token is revoked and its agent disconnected; its job history is kept"
                    : "removed: their tokens are revoked and their agents disconnected; their job history is kept";
        };
        kit.flash().put(session.id(), Flash.Message.notice(machines(done) + " " + verb + "."
                + (gone == 0 ? "" : " " + machines(gone) + " had been removed already.")));
        ctx.redirect(Guards.back(ctx, "/machines"), HttpStatus.SEE_OTHER);
    }

    private static String machines(int count) {
        return count == 1 ? "1 machine" : count + " machines";
    }
}
