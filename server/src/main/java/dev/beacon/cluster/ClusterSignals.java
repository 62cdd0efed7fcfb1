package dev.beacon.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.agentchannel.AgentChannel;
import dev.beacon.apikeys.ApiKeyService;
import dev.beacon.jobs.Dispatcher;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.LiveConnections;
import dev.beacon.robots.RobotService;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals between the nodes of one PostgreSQL database: what one node decides and another must act on (a socket to
 * close, a cache entry to forget, an idle robot to give a job) travels as a {@link Signal} over
 * {@code NOTIFY beacon_signals}, sent after commit by one {@link SignalSender} and received by one
 * {@link SignalListener}. SQLite is one process and has none of this. Built at wiring in two steps: {@link #open}
 * (so that the services can be built around {@link #events} and {@link #connections}), then {@link #listen} with
 * this node's parts, before the server accepts connections. Thread-safe.
 */
public final class ClusterSignals implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterSignals.class);
    /** How long a start waits for its first {@code LISTEN}; beyond that the node serves and listens once it can. */
    private static final Duration LISTEN_WAIT = Duration.ofSeconds(10);

    private final String jdbcUrl;
    private final String nodeId;
    private final ObjectMapper json;
    private final SignalSender sender;
    private final MeterRegistry metrics;
    private ClusterConnections connections;
    private SignalListener listener;

    private ClusterSignals(String jdbcUrl, String nodeId, ObjectMapper json, MeterRegistry metrics) {
        this.metrics = metrics;
        this.jdbcUrl = jdbcUrl;
        this.nodeId = nodeId;
        this.json = json;
        this.sender = new SignalSender(jdbcUrl, nodeId, json);
    }

    /**
     * Starts the sender of node {@code nodeId} on the PostgreSQL database {@code jdbcUrl}; nothing is received yet.
     * Counts signals received by kind ({@code beacon.cluster.signals.received}) and reconnects of the listening
     * connection ({@code beacon.cluster.signals.reconnects}) in {@code metrics}.
     */
    public static ClusterSignals open(String jdbcUrl, String nodeId, ObjectMapper json, MeterRegistry metrics) {
        ClusterSignals signals = new ClusterSignals(jdbcUrl, nodeId, json, metrics);
        signals.sender.start();
        return signals;
    }

    /** This node's id, which its signals carry so that it ignores its own. */
    public String nodeId() {
        return nodeId;
    }

    /** Events that act on this node ({@code local}) and then reach the other nodes. */
    public FleetEvents events(FleetEvents local) {
        return new ClusterFleetEvents(local, sender);
    }

    /** Token rotations for robots connected here ({@code local}) or on another node. Called once. */
    public synchronized LiveConnections connections(LiveConnections local) {
        if (connections != null) {
            throw new IllegalStateException("the cluster's live connections exist already");
        }
        connections = new ClusterConnections(local, sender, nodeId);
        return connections;
    }

    /** Tells the other nodes that an API key was revoked (after commit), so that their caches forget it. */
    public void apiKeyRevoked(String keyId) {
        sender.send(new Signal.ApiKeyRevoked(keyId));
    }

    /**
     * Tells the node holding the robot's session that this node gave it a job (after commit), so that it sends the
     * robot its {@code job.assign}: the one the handover carries when it is small enough, else read from the row.
     */
    public void jobHandedOver(Dispatcher.Handover handover) {
        sender.send(new Signal.JobHandover(handover.nodeId(), handover.orgId(), handover.jobId(), handover.robotId(),
                handover.sessionId(), handover.assign()));
    }

    /**
     * The parts of this node that signals from other nodes act on. {@code nodeId} gives the node's id as robot rows
     * name it now (it changes when a node that lost its lease rejoins), which signals addressed to one node carry.
     * {@code events} are this node's own events, not those {@link #events} returns: acting on another node's signal
     * must not send it on again.
     */
    public record Local(Supplier<String> nodeId, FleetEvents events, AgentChannel channel, Dispatcher dispatcher, ApiKeyService apiKeys, RobotService robots) {
    }

    /**
     * Starts receiving the other nodes' signals and acting on them with {@code local}; waits (boundedly) until this
     * node listens. Called once, after {@link #connections}, before the server accepts connections.
     */
    public synchronized void listen(Local local) {
        if (listener != null || connections == null) {
            throw new IllegalStateException("listen is called once, after connections");
        }
        SignalReceiver receiver = new SignalReceiver(local, connections);
        listener = new SignalListener(jdbcUrl, nodeId, json, signal -> {
            metrics.counter("beacon.cluster.signals.received", "kind", kind(signal)).increment();
            receiver.receive(signal);
        }, () -> {
            metrics.counter("beacon.cluster.signals.reconnects").increment();
            receiver.catchUp();
        });
        try {
            if (!listener.start(LISTEN_WAIT)) {
                log.warn("not yet listening for other nodes' signals after {} s; retrying in the background", LISTEN_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A signal's kind as its JSON names it: {@code JobReady} is {@code job_ready}. */
    private static String kind(Signal signal) {
        return signal.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** How often the listening connection was opened again after it dropped (a figure for tests and metrics). */
    public long reconnects() {
        return listener == null ? 0 : listener.reconnects();
    }

    /** Stops listening, then sends what is still queued. */
    @Override
    public synchronized void close() {
        if (listener != null) {
            listener.close();
        }
        sender.close();
    }
}
