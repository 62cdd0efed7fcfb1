package dev.beacon.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beacon.protocol.Frame;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the other nodes' signals: one thread ({@code beacon-signals-listen}) holds its own connection with
 * {@code LISTEN beacon_signals}, waits for notifications, skips this node's own and hands each signal to the
 * receiver, on this thread, in the order they came. When the connection drops it opens a new one, waiting
 * {@value #FIRST_BACKOFF_MILLIS} ms after the first failure and twice as long after each further one, up to
 * {@value #MAX_BACKOFF_MILLIS} ms; once listening again it runs the catch-up, since signals sent meanwhile are lost.
 * Thread-safe.
 */
final class SignalListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SignalListener.class);
    static final long FIRST_BACKOFF_MILLIS = 100;
    static final long MAX_BACKOFF_MILLIS = 5_000;
    /** How long one wait for notifications lasts before the thread looks whether it should stop. */
    private static final int POLL_MILLIS = 500;

    private final String jdbcUrl;
    private final String nodeId;
    private final ObjectMapper json;
    private final Consumer<Signal> receiver;
    private final Runnable catchUp;
    private final Thread thread;
    private final CountDownLatch listening = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile Connection connection;
    private volatile long reconnects;

    /**
     * @param receiver called with each signal of another node, on the listening thread
     * @param catchUp  called on the listening thread after each reconnect, once listening again
     */
    SignalListener(String jdbcUrl, String nodeId, ObjectMapper json, Consumer<Signal> receiver, Runnable catchUp) {
        this.jdbcUrl = jdbcUrl;
        this.nodeId = nodeId;
        this.json = json;
        this.receiver = receiver;
        this.catchUp = catchUp;
        this.thread = new Thread(this::run, "beacon-signals-listen");
        this.thread.setDaemon(true);
    }

    /** Starts listening and waits up to {@code wait} for the first {@code LISTEN}; false if it is not in place yet. */
    boolean start(Duration wait) throws InterruptedException {
        thread.start();
        return listening.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many times the listening connection was opened again after it dropped. */
    long reconnects() {
        return reconnects;
    }

    private void run() {
        long backoff = FIRST_BACKOFF_MILLIS;
        boolean listenedBefore = false;
        while (!closed) {
            try (Connection opened = PgConnections.open(jdbcUrl, PgConnections.LISTENER_NAME)) {
                connection = opened;
                try (Statement statement = opened.createStatement()) {
                    statement.execute("LISTEN " + PgConnections.CHANNEL);
                }
                backoff = FIRST_BACKOFF_MILLIS;
                listening.countDown();
                if (listenedBefore) {
                    reconnects++;
                    log.info("listening for cluster signals again; catching up from the database");
                    runCatchUp();
                }
                listenedBefore = true;
                PGConnection pg = opened.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications != null) {
                        for (PGNotification notification : notifications) {
                            deliver(notification.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (closed) {
                    break;
                }
                log.warn("the cluster signal connection failed ({}); reconnecting in {} ms", e.getMessage(), backoff);
                try {
                    if (stopped.await(backoff, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
        connection = null;
    }

    /** Parses one payload and hands its signals to the receiver, unless this node sent it. */
    private void deliver(String payload) {
        try {
            JsonNode batch = json.readTree(payload);
            if (nodeId.equals(batch.path("node").asText())) {
                return;
            }
            for (Signal signal : signals(batch)) {
                try {
                    receiver.accept(signal);
                } catch (RuntimeException e) {
                    log.warn("could not act on cluster signal {}", signal, e);
                }
            }
        } catch (IOException e) {
            log.warn("ignoring a malformed cluster signal payload of {} characters", payload.length());
        }
    }

    /**
     * The signals of one parsed payload, in order, leaving out those this node does not know; a handover whose job
     * came beside it ({@code assigns}, see {@link SignalSender#payloads}) carries it.
     */
    List<Signal> signals(JsonNode batch) {
        Map<String, Frame.JobAssign> assigns = assigns(batch.path("assigns"));
        List<Signal> signals = new ArrayList<>();
        for (JsonNode encoded : batch.path("signals")) {
            try {
                Signal signal = json.treeToValue(encoded, Signal.class);
                signals.add(signal instanceof Signal.JobHandover handover ? handover.carrying(assigns.get(handover.jobId())) : signal);
            } catch (IOException e) {
                log.debug("ignoring a cluster signal this node does not know (a newer node's?): {}", encoded);
            }
        }
        return signals;
    }

    /** The carried {@code job.assign}s by job id; one this node cannot read is left out, and its job is read by id. */
    private Map<String, Frame.JobAssign> assigns(JsonNode encoded) {
        Map<String, Frame.JobAssign> assigns = new HashMap<>();
        for (JsonNode one : encoded) {
            try {
                Frame.JobAssign assign = json.treeToValue(one, Frame.JobAssign.class);
                if (assign.jobId() != null) {
                    assigns.put(assign.jobId(), assign);
                }
            } catch (IOException e) {
                log.debug("reading by id a handed-over job whose copy this node cannot read: {}", e.toString());
            }
        }
        return assigns;
    }

    private void runCatchUp() {
        try {
            catchUp.run();
        } catch (RuntimeException e) {
            log.warn("catching up after a lost cluster signal connection failed; the periodic sweeps still will", e);
        }
    }

    /** Stops listening and closes the connection. */
    @Override
    public void close() {
        closed = true;
        stopped.countDown();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Connection open = connection;
        if (thread.isAlive() && open != null) {
            try {
                open.close();
            } catch (SQLException e) {
                log.debug("closing the cluster signal connection failed: {}", e.toString());
            }
        }
    }
}
