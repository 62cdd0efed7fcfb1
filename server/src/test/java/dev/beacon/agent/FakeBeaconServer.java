package dev.beacon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.websocket.WsContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the Beacon server, speaking enrollment and the agent protocol over real HTTP and WebSocket on a free port, so the
 * agent is tested against the wire and not against mocks. Records what the agent sent; tests script the answers.
 */
final class FakeBeaconServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One frame the agent sent, with the server-side id of the connection it came on. */
    record Received(String connection, JsonNode frame) {
    }

    /** A connection the agent closed or lost, with the close status the server saw. */
    record Closed(String connection, int status, String reason) {
    }

    private final Javalin app;
    private final int port;
    private final String robotId = "r_fake1";
    private volatile String robotToken = TokenFormat.generate(TokenKind.ROBOT).value();
    private volatile String rotatedToken;
    private volatile boolean requireHello;
    private final java.util.Set<String> greeted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile int enrollStatus = 201;
    private volatile String enrollBody;
    private volatile JsonNode lastEnrollBody;
    private volatile int upgradeRefusalStatus;
    private volatile String upgradeRefusalCode;
    private volatile int heartbeatIntervalS = 1;
    private volatile boolean welcome = true;
    private volatile WsContext current;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Received> frames = new LinkedBlockingQueue<>();
    private final BlockingQueue<Closed> closes = new LinkedBlockingQueue<>();

    private FakeBeaconServer() {
        app = Javalin.create(config -> {
            config.routes.post("/api/enroll", this::enroll);
            config.routes.get("/api/agent/me", this::me);
            config.routes.wsBeforeUpgrade("/api/agent/ws", ctx -> {
                authorizations.add(String.valueOf(ctx.header("Authorization")));
                if (upgradeRefusalStatus != 0) {
                    refuse(ctx, upgradeRefusalStatus, upgradeRefusalCode);
                } else if (!("Bearer " + robotToken).equals(ctx.header("Authorization"))) {
                    refuse(ctx, 401, "unauthorized");
                }
            });
            config.routes.ws("/api/agent/ws", ws -> {
                ws.onConnect(ctx -> {
                    ctx.session.setIdleTimeout(Duration.ofMinutes(5));
                    current = ctx;
                    connections.incrementAndGet();
                });
                ws.onMessage(ctx -> {
                    JsonNode frame = JSON.readTree(ctx.message());
                    frames.add(new Received(ctx.sessionId(), frame));
                    if (frame.path("type").asText().equals("hello")) {
                        greeted.add(ctx.sessionId());
                    } else if (requireHello && !greeted.contains(ctx.sessionId())) {
                        ctx.send("{\"type\":\"error\",\"code\":\"hello_required\",\"detail\":\"Send 'hello' first.\"}");
                        return;
                    }
                    if (frame.path("type").asText().equals("hello") && welcome) {
                        ctx.send("{\"type\":\"welcome\",\"robot_id\":\"" + robotId + "\",\"heartbeat_interval_s\":"
                                + heartbeatIntervalS + ",\"session_id\":\"s-" + connections.get() + "\"}");
                    }
                    if (frame.path("type").asText().equals("heartbeat")) {
                        ctx.send("{\"type\":\"heartbeat.ack\"}");
                    }
                    if (frame.path("type").asText().equals("token.rotate")) {
                        rotatedToken = TokenFormat.generate(TokenKind.ROBOT).value();
                        ctx.send("{\"type\":\"token.rotated\",\"token\":\"" + rotatedToken + "\"}");
                    }
                    if (frame.path("type").asText().equals("token.rotated.ack") && rotatedToken != null) {
                        robotToken = rotatedToken; // the old token stops working once the new one is acknowledged
                    }
                });
                ws.onClose(ctx -> closes.add(new Closed(ctx.sessionId(), ctx.status(), ctx.reason())));
            });
        }).start("127.0.0.1", 0);
        port = app.port(); // kept, so URLs still name the port after close()
    }

    static FakeBeaconServer start() {
        return new FakeBeaconServer();
    }

    private static void refuse(Context ctx, int status, String code) {
        ctx.status(status).contentType("application/problem+json")
                .result("{\"status\":" + status + ",\"code\":\"" + code + "\",\"detail\":\"refused by the fake\"}");
        ctx.skipRemainingHandlers();
    }

    private void enroll(Context ctx) throws Exception {
        lastEnrollBody = JSON.readTree(ctx.body());
        if (enrollStatus != 201) {
            if (enrollStatus == 429) {
                ctx.header("Retry-After", "17");
            }
            ctx.status(enrollStatus).contentType(enrollBody.startsWith("{") ? "application/problem+json" : "text/html").result(enrollBody);
            return;
        }
        ctx.status(HttpStatus.CREATED).contentType("application/json").result("{\"robot_id\":\"" + robotId + "\",\"robot_token\":\""
                + robotToken + "\",\"organization\":\"default\",\"site\":\"warehouse-a\",\"fleet\":\"dock-2\","
                + "\"organization_id\":\"o1\",\"site_id\":\"s1\",\"fleet_id\":\"f1\",\"heartbeat_interval_s\":"
                + heartbeatIntervalS + ",\"websocket_url\":\"" + websocketUrl() + "\",\"replaced\":false}");
    }

    private void me(Context ctx) {
        if (upgradeRefusalStatus != 0) {
            refuse(ctx, upgradeRefusalStatus, upgradeRefusalCode);
        } else if (("Bearer " + robotToken).equals(ctx.header("Authorization"))) {
            ctx.contentType("application/json").result("{\"id\":\"" + robotId + "\",\"name\":\"bot-1\",\"status\":\"offline\"}");
        } else {
            refuse(ctx, 401, "unauthorized");
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    String websocketUrl() {
        return "ws://127.0.0.1:" + port + "/api/agent/ws";
    }

    String robotId() {
        return robotId;
    }

    String robotToken() {
        return robotToken;
    }

    /** Makes the server accept only {@code token} from now on, as after a rotation. */
    void acceptOnly(String token) {
        robotToken = token;
    }

    void enrollAnswers(int status, String body) {
        enrollStatus = status;
        enrollBody = body;
    }

    JsonNode lastEnrollBody() {
        return lastEnrollBody;
    }

    /** Refuses every upgrade (and /api/agent/me) with this status and problem code; 0 to accept again. */
    void refuseUpgrades(int status, String code) {
        upgradeRefusalStatus = status;
        upgradeRefusalCode = code;
    }

    void heartbeatIntervalS(int seconds) {
        heartbeatIntervalS = seconds;
    }

    /** Whether {@code hello} is answered with {@code welcome}. */
    void welcome(boolean answer) {
        welcome = answer;
    }

    /** Whether frames before {@code hello} are answered with {@code error: hello_required}. */
    void requireHello(boolean required) {
        requireHello = required;
    }

    int connections() {
        return connections.get();
    }

    List<String> authorizations() {
        return authorizations;
    }

    /** Sends a frame to the most recent connection. */
    void send(String json) {
        current.send(json);
    }

    /** Closes the most recent connection with a status, as a server going away would. */
    void close(int status, String reason) {
        current.closeSession(status, reason);
    }

    /** The next frame of {@code type} the agent sent (skipping others), or an assertion failure after {@code wait}. */
    Received await(String type, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            Received received = frames.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (received != null && received.frame().path("type").asText().equals(type)) {
                return received;
            }
        }
        throw new AssertionError("no " + type + " frame within " + wait);
    }

    JsonNode awaitFrame(String type) throws InterruptedException {
        return await(type, Duration.ofSeconds(10)).frame();
    }

    /** The next connection close the server saw. */
    Closed awaitClose(Duration wait) throws InterruptedException {
        Closed closed = closes.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (closed == null) {
            throw new AssertionError("no close within " + wait);
        }
        return closed;
    }

    @Override
    public void close() {
        app.stop();
    }
}
