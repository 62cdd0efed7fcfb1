package dev.beacon.web;

import io.javalin.http.Context;

/** Refuses request bodies over the API limit before anything reads them. Stateless. */
public final class BodyLimit {
    /** 64 KiB: far above any legitimate management or enrollment request. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private BodyLimit() {
    }

    /** Bodies up to this size are read and dropped before the 413, so the client gets to read the answer. */
    private static final long DRAIN_LIMIT = 1024 * 1024;

    /** A before-handler: rejects a declared Content-Length over the limit with 413. */
    public static void check(Context ctx) {
        long length = ctx.req().getContentLengthLong();
        if (length > MAX_BODY_BYTES) {
            if (length <= DRAIN_LIMIT) {
                try {
                    ctx.req().getInputStream().skip(length);
                } catch (java.io.IOException ignored) {
                    // the client went away; the refusal below is all that is left to say
                }
            }
            throw new ApiError(413, "payload_too_large",
                    "The request body is " + length + " bytes; the limit is " + MAX_BODY_BYTES + " bytes.");
        }
    }
}
