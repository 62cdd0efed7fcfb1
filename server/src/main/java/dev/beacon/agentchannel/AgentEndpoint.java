package dev.beacon.agentchannel;

import dev.beacon.web.ApiError;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.server.Handshaker;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.eclipse.jetty.websocket.core.server.WebSocketServerComponents;

/**
 * Upgrades agent connections ({@code GET /api/agent/ws} with {@code Upgrade: websocket}) on Jetty's own WebSocket
 * core, in front of the web application: the {@link UpgradeGate} decides, and an accepted connection gets an
 * {@link AgentFrameHandler}. Everything else, a plain GET of the same path included, goes on to the handler this
 * wraps.
 *
 * <p>Why not the servlet container's WebSocket support: a servlet upgrade keeps the whole HTTP exchange (request,
 * response, their headers, an HTTP session) alive as long as the connection, about 10 KB of heap per agent, and
 * every frame passes through two more layers of API on its way to the channel. An agent needs none of it: the
 * connection keeps only the robot, its address and Jetty's WebSocket session.
 *
 * <p>Runs on Jetty's request threads; immutable once started, thread-safe.
 */
final class AgentEndpoint extends Handler.Wrapper {
    private final AgentChannel channel;
    private final UpgradeGate gate;
    private final Configuration.ConfigurationCustomizer settings = new Configuration.ConfigurationCustomizer();
    private final Handshaker handshaker = new AgentHandshaker();
    private final WebSocketNegotiator negotiator = this::negotiate;
    private WebSocketComponents components;

    /**
     * @param idleTimeout     how long a connection may stay silent before Jetty closes it (a backstop: the channel's
     *                        sweep closes silent agents sooner)
     * @param maxMessageBytes the largest text message an agent may send; a larger one closes its connection with 1009
     */
    AgentEndpoint(AgentChannel channel, UpgradeGate gate, Duration idleTimeout, long maxMessageBytes) {
        this.channel = channel;
        this.gate = gate;
        settings.setIdleTimeout(idleTimeout);
        settings.setMaxTextMessageSize(maxMessageBytes);
        settings.setMaxBinaryMessageSize(maxMessageBytes);
    }

    @Override
    protected void doStart() throws Exception {
        // The server's buffer pool, thread pool and compression pools, shared with its HTTP connections.
        components = WebSocketServerComponents.ensureWebSocketComponents(getServer());
        super.doStart();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (AgentChannel.PATH.equals(Request.getPathInContext(request))
                && handshaker.upgradeRequest(negotiator, request, response, callback, components, settings)) {
            return true; // upgraded, or refused with an answer
        }
        return super.handle(request, response, callback); // not an upgrade (or not a valid one): the web application's
    }

    /** Called once the request is a valid WebSocket upgrade: the gate's refusal, or this connection's frame handler. */
    private FrameHandler negotiate(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        UpgradeGate.Accepted accepted;
        try {
            accepted = gate.check(request);
        } catch (ApiError refused) {
            gate.refuse(response, callback, refused);
            return null;
        }
        return new AgentFrameHandler(channel, accepted);
    }
}
