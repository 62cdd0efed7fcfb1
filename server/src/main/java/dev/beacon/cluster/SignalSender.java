package dev.beacon.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends signals with {@code NOTIFY}, after the transactions that decided them committed and never inside one: a
 * transaction with a pending NOTIFY takes a database-wide lock at commit, which would serialize every enrollment and
 * job write. {@link #send} only queues; one thread ({@code beacon-signals-send}) takes what is queued — one
 * signal when they trickle in, everything that gathered while the previous {@code NOTIFY} was on its way when they
 * come in a burst, so a signal waits for no timer — drops duplicates, packs the rest into payloads under {@value #MAX_PAYLOAD_BYTES}
 * bytes (a handover and the {@code job.assign} it carries in the same one) and sends them with one {@code pg_notify}
 * statement on its own autocommit connection. When that connection fails, the batch is dropped (signals are hints)
 * and the next batch opens a new one. Thread-safe.
 */
final class SignalSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SignalSender.class);
    /** PostgreSQL refuses payloads of 8000 bytes or more; this leaves room. */
    static final int MAX_PAYLOAD_BYTES = 7000;
    /**
     * The largest {@code job.assign} a handover carries, as JSON: a payload holding one always fits beside its signal
     * and the head. Most jobs are far smaller; a larger one goes with ids only, and its node reads it from its row.
     */
    static final int MAX_CARRIED_BYTES = 4000;
    /** Signals waiting beyond this are dropped (with a warning): a database that does not take them is down anyway. */
    private static final int MAX_QUEUED = 100_000;

    private final String jdbcUrl;
    private final String nodeId;
    private final ObjectMapper json;
    private final LinkedBlockingQueue<Signal> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final Thread thread;
    private volatile boolean closed;
    private Connection connection;

    SignalSender(String jdbcUrl, String nodeId, ObjectMapper json) {
        this.jdbcUrl = jdbcUrl;
        this.nodeId = nodeId;
        this.json = json;
        this.thread = new Thread(this::run, "beacon-signals-send");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Queues a signal for the other nodes; returns at once. Called after commit, on any thread. */
    void send(Signal signal) {
        if (!closed && !queue.offer(signal)) {
            log.warn("dropped a cluster signal: {} are waiting to be sent; other nodes catch up from the database", MAX_QUEUED);
        }
    }

    private void run() {
        while (!closed) {
            try {
                Signal first = queue.take();
                Set<Signal> batch = new LinkedHashSet<>();
                batch.add(first);
                List<Signal> more = new ArrayList<>();
                queue.drainTo(more);
                batch.addAll(more);
                notifyAll(payloads(batch));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("could not send cluster signals", e);
            }
        }
    }

    /**
     * The batch as payloads {@code {"node":…,"signals":[…],"assigns":[…]}}, each under {@link #MAX_PAYLOAD_BYTES}.
     * {@code assigns}, present when any handover in the payload carries its job, holds those {@code job.assign}s
     * of at most {@link #MAX_CARRIED_BYTES} each; a handover whose job is larger goes with ids only.
     */
    List<String> payloads(Set<Signal> batch) {
        String head = "{\"node\":" + encode(nodeId) + ",\"signals\":[";
        List<String> payloads = new ArrayList<>();
        Payload current = new Payload(head);
        for (Signal signal : batch) {
            String encoded = encode(signal);
            String assign = signal instanceof Signal.JobHandover handover && handover.assign() != null ? encode(handover.assign()) : null;
            if (assign != null && utf8Length(assign) > MAX_CARRIED_BYTES) {
                assign = null;
            }
            if (!current.isEmpty() && !current.fits(encoded, assign)) {
                payloads.add(current.close());
                current = new Payload(head);
            }
            current.add(encoded, assign);
        }
        if (!current.isEmpty()) {
            payloads.add(current.close());
        }
        return payloads;
    }

    /** One payload being packed: its signals, and the jobs carried beside them, with their size so far in bytes. */
    private static final class Payload {
        private static final String ASSIGNS = "],\"assigns\":[";
        private final StringBuilder signals;
        private final StringBuilder assigns = new StringBuilder();
        private int count;
        /** The payload's bytes at most, were it closed now: a separator counted per element, and the brackets. */
        private int bytes;

        Payload(String head) {
            signals = new StringBuilder(head);
            bytes = utf8Length(head) + ASSIGNS.length() + 2;
        }

        boolean isEmpty() {
            return count == 0;
        }

        boolean fits(String signal, String assign) {
            return bytes + utf8Length(signal) + 1 + (assign == null ? 0 : utf8Length(assign) + 1) <= MAX_PAYLOAD_BYTES;
        }

        void add(String signal, String assign) {
            signals.append(count > 0 ? "," : "").append(signal);
            count++;
            bytes += utf8Length(signal) + 1;
            if (assign != null) {
                assigns.append(assigns.isEmpty() ? "" : ",").append(assign);
                bytes += utf8Length(assign) + 1;
            }
        }

        String close() {
            return assigns.isEmpty() ? signals + "]}" : signals + ASSIGNS + assigns + "]}";
        }
    }

    private String encode(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value, e);
        }
    }

    private void notifyAll(List<String> payloads) {
        try {
            if (connection == null || connection.isClosed()) {
                connection = PgConnections.open(jdbcUrl, PgConnections.SENDER_NAME);
            }
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT pg_notify('" + PgConnections.CHANNEL + "', payload) FROM unnest(?::text[]) AS payload")) {
                Array array = connection.createArrayOf("text", payloads.toArray());
                statement.setArray(1, array);
                statement.execute();
            }
        } catch (SQLException e) {
            log.warn("could not send {} cluster signal payloads; other nodes catch up from the database: {}", payloads.size(), e.toString());
            closeConnection();
        }
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the signal sender's connection failed: {}", e.toString());
            }
            connection = null;
        }
    }

    /** Stops the sending thread, then sends what is still queued on the calling thread. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Set<Signal> rest = new LinkedHashSet<>();
        queue.drainTo(rest);
        if (!rest.isEmpty()) {
            notifyAll(payloads(rest));
        }
        closeConnection();
    }
}
