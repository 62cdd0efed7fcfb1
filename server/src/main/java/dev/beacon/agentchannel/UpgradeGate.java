package dev.beacon.agentchannel;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.errors.DomainException;
import dev.beacon.robots.RobotAuth;
import dev.beacon.web.ApiError;
import dev.beacon.web.Problems;
import io.javalin.http.Context;
import io.javalin.websocket.WsConnectContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, before the WebSocket upgrade, whether an agent may connect: not while the server shuts down, not from an
 * address whose upgrades keep being refused ({@link RefusedUpgrades}), not without a live robot token, not beyond
 * the accept budget ({@link UpgradeLimiter}). A refusal is problem JSON on the upgrade's HTTP response, counted by
 * code and logged at most once a minute per address. An accepted upgrade carries the authenticated robot to
 * {@link #accepted}. Runs on Jetty's request threads; {@link #forgetQuiet} on the server's scheduler. Thread-safe.
 */
final class UpgradeGate {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    private static final String ROBOT_ATTRIBUTE = "beacon.robot";
    private static final String IP_ATTRIBUTE = "beacon.ip";

    /** What an accepted upgrade carries to its connection: the robot and its token, and the agent's address. */
    record Accepted(RobotAuth.Authenticated robot, String ip) {
    }

    private final RobotAuth robotAuth;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final LongSupplier ticker;
    private final UpgradeLimiter upgrades;
    private final Counter throttled;
    private final Timer queued;
    private final RefusedUpgrades refusedUpgrades = new RefusedUpgrades();
    /** Set once shutdown begins: agents told {@code bye} must reconnect elsewhere or after the restart, not here. */
    private volatile boolean shuttingDown;

    UpgradeGate(RobotAuth robotAuth, ObjectMapper json, MeterRegistry metrics, LongSupplier ticker, int connectsPerSecond) {
        this.robotAuth = robotAuth;
        this.json = json;
        this.metrics = metrics;
        this.ticker = ticker;
        this.upgrades = new UpgradeLimiter(connectsPerSecond);
        this.throttled = metrics.counter("beacon.agent.upgrades.refused", "code", "agent_connect_throttled");
        this.queued = Timer.builder("beacon.agent.upgrade.queued")
                .description("How long agent upgrades waited in the server before their check (from their first byte)")
                .serviceLevelObjectives(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(10),
                        Duration.ofSeconds(30))
                .register(metrics);
    }

    /** A refused upgrade's problem {@code code}, beside the body. */
    static final String PROBLEM_CODE_HEADER = "Beacon-Problem-Code";
    /** A refused upgrade's problem {@code detail} (printable ASCII), beside the body. */
    static final String PROBLEM_DETAIL_HEADER = "Beacon-Problem-Detail";

    /** From now on every upgrade is refused with 503 {@code server_shutting_down}. */
    void shutDown() {
        shuttingDown = true;
    }

    /** The before-upgrade handler: returns when the upgrade may go on, else writes the refusal and throws it. */
    void check(Context ctx) {
        if (shuttingDown) {
            ctx.header("Retry-After", "1");
            refuse(ctx, new ApiError(503, "server_shutting_down", "This server is shutting down; connect again in a moment."));
        }
        // From the request's first byte to here: the server's own queue. (A connection waiting to be accepted or read
        // is not in it; in a reconnect storm that wait is most of what the agent sees.)
        queued.record(System.nanoTime() - ServletContextRequest.getServletContextRequest(ctx.req()).getBeginNanoTime(), TimeUnit.NANOSECONDS);
        String ip = ctx.ip();
        long nowNanos = ticker.getAsLong();
        // An address whose upgrades keep being refused (a token-less flood, a token guesser) is turned away before
        // its token is even looked up, until its budget refills; other addresses are not affected.
        long blocked = refusedUpgrades.secondsUntilAllowed(ip);
        if (blocked > 0) {
            ApiError limited = ApiError.rateLimited(blocked, "Too many refused agent connections from this address (limit "
                    + RefusedUpgrades.PER_MINUTE + " a minute); retry in " + blocked + " s with a valid robot token.");
            countAndLogRefusal(ip, limited.code(), nowNanos);
            refuse(ctx, limited);
        }
        RobotAuth.Authenticated authenticated;
        try {
            authenticated = robotAuth.authenticateToken(ctx.header("Authorization"));
        } catch (DomainException refused) {
            refusedUpgrades.recordRefusal(ip, nowNanos);
            countAndLogRefusal(ip, refused.code(), nowNanos);
            refuse(ctx, Problems.problem(refused));
            return;
        }
        // After the token check: the accept budget is spent on agents with a valid token only, so a flood of
        // upgrades without one cannot starve real agents. (A flood of bad tokens is held off per address above.)
        long wait = upgrades.secondsToWait();
        if (wait > 0) {
            throttled.increment(); // counted, not logged: a storm would flood the log
            ctx.header("Retry-After", Long.toString(wait));
            refuse(ctx, new ApiError(503, "agent_connect_throttled", "Too many agents are connecting at once (limit "
                    + upgrades.perSecond() + "/s); retry in " + wait + " s. Agents back off and retry on their own."));
        }
        ctx.attribute(ROBOT_ATTRIBUTE, authenticated);
        ctx.attribute(IP_ATTRIBUTE, ip);
        forgetHttpSession(ctx.req());
    }

    /** A plain GET (no upgrade) gets the same token check, then a clear 426, instead of a bare 404. */
    void refusePlainGet(Context ctx) {
        robotAuth.authenticate(ctx.header("Authorization"));
        throw new ApiError(426, "upgrade_required", "This is the agent WebSocket: connect with a WebSocket client (Upgrade: websocket).");
    }

    /**
     * What {@link #check} let through for this connection. The upgrade request lives as long as the connection, so
     * its attributes are dropped here: the socket keeps only what it needs (about 1 KB less each).
     */
    static Accepted accepted(WsConnectContext ctx) {
        Accepted accepted = new Accepted(ctx.attribute(ROBOT_ATTRIBUTE), ctx.attribute(IP_ATTRIBUTE));
        ctx.attribute(ROBOT_ATTRIBUTE, null);
        ctx.attribute(IP_ATTRIBUTE, null);
        return accepted;
    }

    /** Forgets addresses whose refusal budget is full again (run now and then by the sweep). */
    void forgetQuiet(long nowNanos) {
        refusedUpgrades.forgetQuiet(nowNanos);
    }

    /** Counts a refused upgrade by code, and logs it unless a line about this address was written within the interval. */
    private void countAndLogRefusal(String ip, String code, long nowNanos) {
        metrics.counter("beacon.agent.upgrades.refused", "code", code).increment();
        long unlogged = refusedUpgrades.claimLogLine(ip, nowNanos);
        if (unlogged == 0) {
            log.info("refused agent connection from {}: {}", ip, code);
        } else if (unlogged > 0) {
            log.info("refused agent connection from {}: {} ({} more refused since the last line about this address)", ip, code, unlogged);
        }
    }

    /**
     * Ends a refused upgrade with problem JSON. Javalin does not write an exception's response body on the WebSocket
     * path, so the body is written and committed here; the exception then stops the upgrade.
     */
    private void refuse(Context ctx, ApiError error) {
        forgetHttpSession(ctx.req());
        // WebSocket clients (the JDK's among them) give a refused upgrade's status and headers to the caller but drop
        // its body: the code and detail travel in headers too, so an agent can say exactly why it was refused.
        ctx.header(PROBLEM_CODE_HEADER, error.code());
        ctx.header(PROBLEM_DETAIL_HEADER, printableAscii(error.detail()));
        Problems.write(ctx, json, error);
        try {
            byte[] body = ctx.result() == null ? new byte[0] : ctx.result().getBytes(StandardCharsets.UTF_8);
            ctx.res().setContentLength(body.length);
            ctx.res().getOutputStream().write(body);
            ctx.res().flushBuffer();
        } catch (IOException | RuntimeException e) {
            log.debug("could not write the refusal of an agent upgrade: {}", e.toString());
        }
        throw error;
    }

    /**
     * Javalin snapshots the upgrade request's session attributes before any handler runs, which makes the servlet
     * container create an HTTP session for every agent upgrade, accepted or refused. Agents never use it, and it would
     * never expire: without this, sessions pile up with every reconnect (about 1 KB each).
     */
    private static void forgetHttpSession(HttpServletRequest request) {
        try {
            HttpSession session = request.getSession(false);
            if (session != null) {
                session.invalidate();
            }
        } catch (IllegalStateException noSessionOrAlreadyInvalid) {
            // nothing to free
        }
    }

    /** {@code text} with anything but printable ASCII replaced, so that it is a valid header value. */
    static String printableAscii(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7f ? c : c == '—' ? '-' : '?');
        }
        return out.toString();
    }
}
