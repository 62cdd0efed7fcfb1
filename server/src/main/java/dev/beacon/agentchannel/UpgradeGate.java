package dev.beacon.agentchannel;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.errors.DomainException;
import dev.beacon.robots.RobotAuth;
import dev.beacon.web.ApiError;
import dev.beacon.web.Problems;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, before the WebSocket upgrade, whether an agent may connect: not while the server shuts down, not from an
 * address whose upgrades keep being refused ({@link RefusedUpgrades}), not without a live robot token, not beyond
 * the accept budget ({@link UpgradeLimiter}). A refusal is problem JSON on the upgrade's HTTP response, counted by
 * code and logged at most once a minute per address. An accepted upgrade carries the authenticated robot and the
 * agent's address to its connection. Runs on Jetty's request threads; {@link #forgetQuiet} on the server's scheduler. Thread-safe.
 */
final class UpgradeGate {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);

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

    /**
     * Checks an upgrade request before Jetty upgrades it: returns what the connection carries, or throws the refusal
     * (an {@link ApiError}, to be answered with {@link #refuse}).
     */
    Accepted check(Request request) {
        if (shuttingDown) {
            throw ApiError.unavailable("server_shutting_down", 1, "This server is shutting down; connect again in a moment.");
        }
        // From the request's first byte to here: the server's own queue. (A connection waiting to be accepted or read
        // is not in it; in a reconnect storm that wait is most of what the agent sees.)
        queued.record(System.nanoTime() - request.getBeginNanoTime(), TimeUnit.NANOSECONDS);
        String ip = Request.getRemoteAddr(request);
        long nowNanos = ticker.getAsLong();
        // An address whose upgrades keep being refused (a token-less flood, a token guesser) is turned away before
        // its token is even looked up, until its budget refills; other addresses are not affected.
        long blocked = refusedUpgrades.secondsUntilAllowed(ip);
        if (blocked > 0) {
            ApiError limited = ApiError.rateLimited(blocked, "Too many refused agent connections from this address (limit "
                    + RefusedUpgrades.PER_MINUTE + " a minute); retry in " + blocked + " s with a valid robot token.");
            countAndLogRefusal(ip, limited.code(), nowNanos);
            throw limited;
        }
        RobotAuth.Authenticated authenticated;
        try {
            authenticated = robotAuth.authenticateToken(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        } catch (DomainException refused) {
            refusedUpgrades.recordRefusal(ip, nowNanos);
            countAndLogRefusal(ip, refused.code(), nowNanos);
            throw Problems.problem(refused);
        }
        // After the token check: the accept budget is spent on agents with a valid token only, so a flood of
        // upgrades without one cannot starve real agents. (A flood of bad tokens is held off per address above.)
        long wait = upgrades.secondsToWait();
        if (wait > 0) {
            throttled.increment(); // counted, not logged: a storm would flood the log
            throw ApiError.unavailable("agent_connect_throttled", wait, "Too many agents are connecting at once (limit "
                    + upgrades.perSecond() + "/s); retry in " + wait + " s. Agents back off and retry on their own.");
        }
        return new Accepted(authenticated, ip);
    }

    /** A plain GET (no upgrade) gets the same token check, then a clear 426, instead of a bare 404. */
    void refusePlainGet(Context ctx) {
        robotAuth.authenticate(ctx.header("Authorization"));
        throw new ApiError(426, "upgrade_required", "This is the agent WebSocket: connect with a WebSocket client (Upgrade: websocket).");
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
     * Answers a refused upgrade with problem JSON. WebSocket clients (the JDK's among them) give a refused upgrade's
     * status and headers to the caller but drop its body: the code and detail travel in headers too, so an agent can
     * say exactly why it was refused.
     */
    void refuse(Response response, Callback callback, ApiError error) {
        response.getHeaders().put(PROBLEM_CODE_HEADER, error.code());
        response.getHeaders().put(PROBLEM_DETAIL_HEADER, printableAscii(error.detail()));
        Problems.write(response, callback, json, error);
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
