package dev.beacon.joboutput;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.jobs.Job;
import dev.beacon.jobs.JobService;
import dev.beacon.web.ApiError;
import dev.beacon.web.Auth;
import dev.beacon.web.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * HTTP for a job's live output: {@code GET /api/jobs/{id}/output} answers the chunks stored so far as JSON, or with
 * {@code ?follow=true} streams them as server-sent events (one {@code chunk} event each, a {@code truncated} event
 * where output was dropped, then {@code end} once the job has finished) until the job ends or the client leaves. Both
 * resume after {@code ?after_seq=} or {@code Last-Event-ID}. A follower reads the database each time a batch is
 * written on this node, and at least every {@link #POLL_MILLIS} ms, so output another node stores reaches it too.
 * Handlers run on Javalin's (virtual) request threads, a follower for as long as it follows. Thread-safe.
 */
public final class JobOutputRoutes {
    /** The longest a follower waits before it reads again; output written on another node shows within it. */
    static final long POLL_MILLIS = 250;
    /** A comment this often keeps proxies from closing a quiet stream, and finds clients that left. */
    private static final long PING_MILLIS = 15_000;

    private final JobOutputService output;
    private final JobService jobs;
    private final Auth auth;
    private final ObjectMapper json;

    public JobOutputRoutes(JobOutputService output, JobService jobs, Auth auth, ObjectMapper json) {
        this.output = output;
        this.jobs = jobs;
        this.auth = auth;
        this.json = json;
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/jobs/{id}/output", this::get);
    }

    private void get(Context ctx) throws Exception {
        Principal principal = auth.principal(ctx).requireJobReader();
        Job job = jobs.get(principal.orgId(), ctx.pathParam("id"));
        String follow = ctx.queryParam("follow");
        if (follow != null && !follow.equals("true") && !follow.equals("false")) {
            throw ApiError.validation("follow", "'follow' is true or false.");
        }
        String afterSeq = ctx.queryParam("after_seq");
        OutputCursor cursor = afterSeq != null ? OutputCursor.parse(afterSeq, "after_seq")
                : OutputCursor.parse(ctx.header("Last-Event-ID"), "Last-Event-ID");
        if ("true".equals(follow)) {
            follow(ctx, principal.orgId(), job, cursor);
            return;
        }
        List<OutputChunk> chunks = output.store().after(job.id(), cursor);
        ObjectNode body = json.createObjectNode().put("job_id", job.id()).put("status", job.status().wireName());
        ArrayNode list = body.putArray("chunks");
        boolean truncated = false;
        OutputCursor last = cursor;
        for (OutputChunk chunk : chunks) {
            last = OutputCursor.after(chunk);
            if (chunk.isTruncationMark()) {
                truncated = true;
            } else {
                list.add(chunkJson(chunk));
            }
        }
        body.put("truncated", truncated || (cursor != OutputCursor.START && output.store().stored(job.id()).truncated()));
        body.put("next_after_seq", last.attempt() + ":" + last.seq());
        ctx.json(body);
    }

    private ObjectNode chunkJson(OutputChunk chunk) {
        return json.createObjectNode().put("id", chunk.id()).put("attempt", chunk.attempt()).put("seq", chunk.seq())
                .put("stream", chunk.stream()).put("data", chunk.data()).put("at", Instant.ofEpochMilli(chunk.at()).toString());
    }

    /** Streams the job's output as server-sent events until it has finished (then {@code end}) or the client leaves. */
    private void follow(Context ctx, String orgId, Job job, OutputCursor from) throws Exception {
        ctx.status(200).contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        OutputCursor cursor = from;
        boolean truncated = false;
        long lastWrite = System.nanoTime();
        try {
            write(out, "retry: 2000\n\n");
            while (!output.isClosed()) {
                long seen = output.writes();
                // The status first: output is written before the result that finishes a job, so once the job reads
                // as finished, the read below finds all of its output.
                Job now = jobs.get(orgId, job.id());
                for (OutputChunk chunk : output.store().after(job.id(), cursor)) {
                    cursor = OutputCursor.after(chunk);
                    truncated |= chunk.isTruncationMark();
                    String event = chunk.isTruncationMark() ? "truncated" : "chunk";
                    write(out, "id: " + chunk.id() + "\nevent: " + event + "\ndata: " + json.writeValueAsString(chunkJson(chunk)) + "\n\n");
                    lastWrite = System.nanoTime();
                }
                if (now.isFinished()) {
                    ObjectNode end = json.createObjectNode().put("status", now.status().wireName())
                            .put("truncated", truncated || output.store().stored(job.id()).truncated());
                    write(out, "event: end\ndata: " + json.writeValueAsString(end) + "\n\n");
                    return;
                }
                if (System.nanoTime() - lastWrite > PING_MILLIS * 1_000_000) {
                    write(out, ": ping\n\n");
                    lastWrite = System.nanoTime();
                }
                output.awaitWrite(seen, POLL_MILLIS);
            }
        } catch (IOException e) {
            // the client left
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
