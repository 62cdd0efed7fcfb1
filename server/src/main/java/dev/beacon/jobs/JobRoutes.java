package dev.beacon.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.audit.Actor;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/** HTTP for the job queue: {@code /api/jobs} and {@code /api/queue}. */
public final class JobRoutes {
    static final String IDEMPOTENCY_HEADER = "Idempotency-Key";

    private final JobService service;
    private final Auth auth;
    private final ObjectMapper json;

    public JobRoutes(JobService service, Auth auth, ObjectMapper json) {
        this.service = service;
        this.auth = auth;
        this.json = json;
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/jobs", this::submit);
        routes.get("/api/jobs", this::list);
        routes.get("/api/jobs/{id}", ctx -> {
            Principal principal = auth.principal(ctx).requireJobReader();
            Job job = service.get(principal.orgId(), ctx.pathParam("id"));
            ctx.json(view(principal.orgId(), job));
        });
        routes.post("/api/jobs/{id}/cancel", ctx -> {
            Principal principal = auth.principal(ctx).requireJobs();
            Job job = service.cancel(principal.orgId(), ctx.pathParam("id"));
            // 202 while the agent has yet to stop it; 200 once the job has ended.
            ctx.status(job.isHeld() ? 202 : 200).json(view(principal.orgId(), job));
        });
        routes.get("/api/queue", ctx -> {
            Principal principal = auth.principal(ctx).requireJobReader();
            ctx.json(service.figures(principal.orgId()));
        });
    }

    private void submit(Context ctx) {
        Principal principal = auth.principal(ctx).requireJobs();
        String key = ctx.header(IDEMPOTENCY_HEADER);
        if (key != null) {
            key = key.strip();
            if (key.isEmpty() || key.length() > 200 || key.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
                throw ApiError.validation(IDEMPOTENCY_HEADER, "The Idempotency-Key header must be 1-200 printable ASCII characters.");
            }
        }
        JobRequest request = JobRequest.parse(ctx.bodyInputStream(), json);
        JobService.Submitted submitted = service.submit(principal.orgId(), Actor.of(principal), request, key);
        Job job = submitted.job();
        ctx.status(submitted.created() ? 202 : 200)
                .json(submitted.created() ? JobView.of(job, service.waitingReasonAfterSubmit(principal.orgId(), job)) : view(principal.orgId(), job));
    }

    private void list(Context ctx) {
        Principal principal = auth.principal(ctx).requireJobReader();
        String statusParam = blankToNull(ctx.queryParam("status"));
        JobStatus status = statusParam == null ? null : JobStatus.fromWire(statusParam).orElseThrow(() -> ApiError.validation("status",
                "Query parameter 'status' must be one of queued, assigned, running, succeeded, failed, timed_out, cancelled."));
        int limit = Page.limit(ctx);
        List<Job> fetched = service.list(principal.orgId(), status, blankToNull(ctx.queryParam("robot_id")),
                blankToNull(ctx.queryParam("kind")), Page.cursor(ctx), limit + 1);
        Page<Job> page = Page.of(fetched, limit, Job::id);
        Map<String, String> reasons = service.waitingReasons(principal.orgId(), page.items());
        ctx.json(page.map(job -> JobView.of(job, reasons.get(job.id()))));
    }

    private JobView view(String orgId, Job job) {
        return JobView.of(job, service.waitingReasons(orgId, List.of(job)).get(job.id()));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
