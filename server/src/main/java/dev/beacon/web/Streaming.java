package dev.beacon.web;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * For answers written as they go (an export of JSON Lines): once the status and the first bytes are sent, a failure can
 * no longer become problem JSON, and ending the answer normally would pass a cut-off body for a whole one. Called on
 * the request's thread; stateless.
 */
public final class Streaming {
    private Streaming() {
    }

    /**
     * Ends the exchange without the terminating chunk, so that the client sees a broken answer, not a short one. Called
     * by a handler whose answer is already committed when its writing fails.
     */
    public static void abort(Context ctx, Throwable cause) {
        ServletContextRequest.getServletContextRequest(ctx.req()).getServletChannel().abort(cause);
    }
}
