package dev.beacon.audit;

import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.Page;
import dev.beacon.web.Principal;
import dev.beacon.web.Streaming;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.json.JsonMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP for {@code GET /api/audit} (admin only): the organization's audit events as pages of JSON, newest first, or with
 * {@code ?format=jsonl} all of them as JSON Lines, oldest first, written as they are read. The handler runs on
 * Javalin's request threads; thread-safe.
 */
public final class AuditRoutes {
    static final String NDJSON = "application/x-ndjson";
    private static final Logger log = LoggerFactory.getLogger(AuditRoutes.class);
    /** Bytes gathered before they go to the socket; until the first flush a failure can still answer problem JSON. */
    private static final int WRITE_BUFFER = 64 * 1024;

    private final AuditLog audit;
    private final Auth auth;

    public AuditRoutes(AuditLog audit, Auth auth) {
        this.audit = audit;
        this.auth = auth;
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/audit", ctx -> {
            Principal principal = auth.admin(ctx);
            String format = blankToNull(ctx.queryParam("format"));
            AuditLog.Filter filter = filter(ctx);
            if (format == null || format.equals("json")) {
                int limit = Page.limit(ctx);
                List<AuditEvent> fetched = audit.list(principal.orgId(), filter, Page.cursor(ctx), limit + 1);
                ctx.json(Page.of(fetched, limit, AuditEvent::id));
            } else if (format.equals("jsonl")) {
                for (String paging : List.of("limit", "cursor")) {
                    if (blankToNull(ctx.queryParam(paging)) != null) {
                        throw ApiError.validation(paging, "Query parameter '" + paging + "' pages the JSON list; format=jsonl "
                                + "streams every matching event, so narrow it with 'since' and 'until' instead.");
                    }
                }
                export(ctx, principal.orgId(), filter);
            } else {
                throw ApiError.validation("format", "Query parameter 'format' must be json (pages, the default) or jsonl "
                        + "(every matching event as JSON Lines, oldest first).");
            }
        });
    }

    private void export(Context ctx, String orgId, AuditLog.Filter filter) throws IOException {
        ctx.status(200).contentType(NDJSON);
        JsonMapper json = ctx.jsonMapper();
        OutputStream out = new BufferedOutputStream(ctx.res().getOutputStream(), WRITE_BUFFER);
        try {
            audit.export(orgId, filter, event -> {
                try {
                    out.write(json.toJsonString(event, AuditEvent.class).getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            out.flush();
        } catch (RuntimeException | IOException e) {
            if (!ctx.res().isCommitted()) {
                throw e; // nothing sent yet: the usual problem JSON (a 500 for a failed read)
            }
            // Usually the client went away; otherwise a read failed midway, which the log must show.
            log.warn("audit export for {} broke off after the answer began: {}", orgId, e.toString());
            Streaming.abort(ctx, e);
        }
    }

    private static AuditLog.Filter filter(Context ctx) {
        Instant since = time(ctx, "since");
        Instant until = time(ctx, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw ApiError.validation("until", "Query parameter 'until' must be later than 'since'; the range is [since, until).");
        }
        return new AuditLog.Filter(blankToNull(ctx.queryParam("action")), since, until);
    }

    private static Instant time(Context ctx, String name) {
        String raw = blankToNull(ctx.queryParam(name));
        if (raw == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(raw).toInstant();
        } catch (DateTimeParseException e) {
            throw ApiError.validation(name, "Query parameter '" + name + "' must be an RFC 3339 timestamp with an offset, e.g. "
                    + "2026-11-01T00:00:00Z (in a URL, write a + offset as %2B).");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
