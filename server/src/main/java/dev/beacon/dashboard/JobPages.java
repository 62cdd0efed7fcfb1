package dev.beacon.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.errors.DomainException;
import dev.beacon.jobs.Job;
import dev.beacon.jobs.JobRequest;
import dev.beacon.jobs.JobStatus;
import dev.beacon.robots.Robot;
import dev.beacon.web.ApiError;
import dev.beacon.web.Problems;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The jobs list ({@code /jobs}), one job's page ({@code /jobs/{id}}), the fragments that refresh them live, and the
 * submit and cancel buttons. A submitted form becomes the same JSON body {@code POST /api/jobs} takes and goes
 * through {@link JobRequest#parse} and {@link dev.beacon.jobs.JobService#submit}, like the API. Its handlers run on
 * Javalin's request threads. Thread-safe.
 */
final class JobPages {
    private static final Set<String> STATUSES = Arrays.stream(JobStatus.values()).map(JobStatus::wireName).collect(Collectors.toSet());
    private static final int PAGE = 50;
    private static final Set<String> FORM_FIELDS = Set.of("kind", "robot_id", "fleet_id", "capabilities", "labels", "priority", "timeout_s",
            "max_attempts", "payload");

    private final DashboardRoutes.Services services;
    private final DashboardReads reads;
    private final PageKit kit;
    private final ObjectMapper json;

    JobPages(DashboardRoutes.Services services, DashboardReads reads, PageKit kit, ObjectMapper json) {
        this.services = services;
        this.reads = reads;
        this.kit = kit;
        this.json = json;
    }

    void register(RoutesConfig routes) {
        Guards guards = kit.guards();
        routes.get("/jobs", guards.page((ctx, s) -> kit.views().render(ctx, "jobs.jte",
                Map.of("chrome", kit.chromeWithFlash(s, "jobs", "Jobs"), "v", jobsView(ctx, s)))));
        routes.get("/jobs/{id}", guards.page(this::jobPage));
        routes.get("/fragments/jobs", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/jobs_table.jte",
                Map.of("v", jobsView(ctx, s)))));
        routes.get("/fragments/jobs/{id}", guards.fragment((ctx, s) -> kit.views().render(ctx, "partials/job_live.jte",
                Map.of("v", jobView(s, ctx.pathParam("id")), "chrome", kit.chrome(s, "jobs", "")))));
        routes.post("/ui/jobs", guards.action(this::submitJob));
        routes.post("/ui/jobs/{id}/cancel", guards.action(this::cancelJob));
    }

    /** The organization's jobs, newest first, filtered by {@code ?status=}, {@code ?kind=}, {@code ?robot_id=}, paged by {@code ?before=}. */
    private Views.JobsView jobsView(Context ctx, Session session) {
        String status = Form.choice(ctx.queryParam("status"), STATUSES);
        String kind = Form.blankToNull(ctx.queryParam("kind"));
        String robotId = Form.blankToNull(ctx.queryParam("robot_id"));
        String before = Form.blankToNull(ctx.queryParam("before"));
        List<DashboardReads.JobRow> rows = reads.jobs(session.orgId(), status, robotId, kind, before, PAGE + 1);
        String older = null;
        if (rows.size() > PAGE) {
            rows = rows.subList(0, PAGE);
            older = rows.get(rows.size() - 1).id();
        }
        Map<String, String> names = reads.robotNames(session.orgId(), rows.stream()
                .flatMap(row -> java.util.stream.Stream.of(row.robotId(), row.target().robotId())).toList());
        List<Robot> robots = services.robots().list(session.orgId(), null, null, null, null, DashboardRoutes.LIST_LIMIT);
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        return new Views.JobsView(rows, names, status, kind, robotId, older,
                Form.queryString("status", status, "kind", kind, "robot_id", robotId, "before", before), robots, setup.sites(), setup.fleets(),
                setup.places(), kit.clock().instant());
    }

    private Views.JobDetailView jobView(Session session, String jobId) {
        Job job = services.jobs().get(session.orgId(), jobId);
        String reason = services.jobs().waitingReasons(session.orgId(), List.of(job)).get(job.id());
        Map<String, String> names = reads.robotNames(session.orgId(), java.util.Arrays.asList(job.robotId(), job.target().robotId()));
        String robotName = job.robotId() == null ? null : names.get(job.robotId());
        OrgSetup setup = OrgSetup.of(services.orgs(), session.orgId());
        return new Views.JobDetailView(job, reason, robotName, setup.places(), pretty(job.payload()), outputText(job),
                submitter(session, job.createdBy()), kit.clock().instant(), TargetWords.of(job.target(), job.kind(), setup.places(), names));
    }

    /** "user admin" or "API key ci-pipeline" for a job's {@code created_by} ({@code user:usr_…}, {@code api_key:key_…}). */
    private String submitter(Session session, String createdBy) {
        if (createdBy == null || createdBy.indexOf(':') < 0) {
            return createdBy;
        }
        String type = createdBy.substring(0, createdBy.indexOf(':'));
        String id = createdBy.substring(createdBy.indexOf(':') + 1);
        String name = switch (type) {
            case "user" -> reads.usernames(List.of(id)).get(id);
            case "api_key" -> reads.apiKeyNames(session.orgId(), List.of(id)).get(id);
            default -> null;
        };
        String label = "api_key".equals(type) ? "API key" : type;
        return label + " " + (name != null ? name : id);
    }

    private void jobPage(Context ctx, Session session) {
        Views.JobDetailView view = jobView(session, ctx.pathParam("id"));
        kit.views().render(ctx, "job.jte", Map.of("chrome", kit.chromeWithFlash(session, "jobs", "Job " + view.job().kind()), "v", view));
    }

    /**
     * Submits the form as a job. A refusal of what was typed (a 4xx other than a missing role) shows the jobs page again
     * with that status, the message beside the field at fault and every value kept.
     */
    private void submitJob(Context ctx, Session session) throws IOException {
        Guards.requireOperator(session);
        Job job;
        try {
            JobRequest request = JobRequest.parse(new ByteArrayInputStream(json.writeValueAsBytes(requestBody(ctx))), json);
            job = services.jobs().submit(session.orgId(), Guards.actor(ctx, session), request, null).job();
        } catch (ApiError | DomainException refused) {
            ApiError error = refused instanceof DomainException domain ? Problems.problem(domain) : (ApiError) refused;
            if (error.status() == 401 || error.status() == 403) {
                throw error; // not about what was typed: the guard says so on the page the form came from
            }
            String field = formField(error.field());
            FormState form = field == null ? FormState.of(ctx, Map.of(), error.detail())
                    : FormState.of(ctx, Map.of(field, error.detail()), null);
            kit.views().render(ctx, "jobs.jte", Map.of("chrome", kit.chrome(session, "jobs", "Jobs"), "v", jobsView(ctx, session), "form", form));
            ctx.status(error.status());
            return;
        }
        kit.flash().put(session.id(), Flash.Message.notice("Job " + job.id() + " (" + job.kind() + ") "
                + (job.status() == JobStatus.QUEUED ? "queued." : "handed to a machine at once.")));
        ctx.redirect("/jobs/" + job.id(), HttpStatus.SEE_OTHER);
    }

    /** The form field that {@code POST /api/jobs}'s {@code field} comes from, or null when the form has none. */
    private static String formField(String apiField) {
        if (apiField == null) {
            return null;
        }
        String field = apiField.startsWith("target.") ? apiField.substring("target.".length()) : apiField;
        return FORM_FIELDS.contains(field) ? field : null;
    }

    /** The submit form as the JSON body of {@code POST /api/jobs}: capabilities and labels as comma-separated lists. */
    private ObjectNode requestBody(Context ctx) {
        ObjectNode body = json.createObjectNode();
        body.put("kind", ctx.formParam("kind") == null ? "" : ctx.formParam("kind").strip());
        String payload = Form.blankToNull(ctx.formParam("payload"));
        if (payload != null) {
            try {
                body.set("payload", json.readTree(payload));
            } catch (IOException e) {
                throw ApiError.validation("payload", "The payload must be JSON, e.g. {\"message\": \"hello\"}.");
            }
        }
        ObjectNode target = body.putObject("target");
        putIfPresent(target, "robot_id", ctx.formParam("robot_id"));
        putIfPresent(target, "fleet_id", ctx.formParam("fleet_id"));
        putIfPresent(target, "site_id", ctx.formParam("site_id"));
        String capabilities = Form.blankToNull(ctx.formParam("capabilities"));
        if (capabilities != null) {
            ArrayNode list = target.putArray("capabilities");
            for (String capability : capabilities.split("[,\\s]+")) {
                if (!capability.isBlank()) {
                    list.add(capability);
                }
            }
        }
        String labels = Form.blankToNull(ctx.formParam("labels"));
        if (labels != null) {
            ObjectNode map = target.putObject("labels");
            for (String pair : labels.split("[,\\s]+")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw ApiError.validation("labels", "Write labels as key=value pairs separated by commas, e.g. zone=a, arm=ur5.");
                }
                map.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        putNumberIfPresent(body, "priority", ctx, "priority");
        putNumberIfPresent(body, "timeout_s", ctx, "timeout_s");
        putNumberIfPresent(body, "max_attempts", ctx, "max_attempts");
        return body;
    }

    private void cancelJob(Context ctx, Session session) {
        Guards.requireOperator(session);
        Job job = services.jobs().cancel(session.orgId(), ctx.pathParam("id"));
        kit.flash().put(session.id(), Flash.Message.notice(switch (job.status()) {
            case JobStatus.CANCELLED -> "Job " + job.id() + " cancelled.";
            case JobStatus.ASSIGNED, JobStatus.RUNNING -> "Asked the machine to stop job " + job.id() + "; it ends as cancelled once the machine confirms.";
            default -> "Job " + job.id() + " had already ended (" + Fmt.words(job.status().wireName()) + ").";
        }));
        ctx.redirect(Guards.back(ctx, "/jobs/" + job.id()), HttpStatus.SEE_OTHER);
    }

    private String pretty(Object value) {
        try {
            return value == null ? "" : json.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    private String outputText(Job job) {
        if (job.output() == null || job.output().isNull()) {
            return null;
        }
        return job.output().isTextual() ? job.output().asText() : pretty(job.output());
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        String v = Form.blankToNull(value);
        if (v != null) {
            node.put(field, v);
        }
    }

    private static void putNumberIfPresent(ObjectNode node, String field, Context ctx, String param) {
        String v = Form.blankToNull(ctx.formParam(param));
        if (v == null) {
            return;
        }
        try {
            node.put(field, Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw ApiError.validation(field, Fmt.title(param.replace('_', ' ')) + " must be a whole number.");
        }
    }
}
