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
 * bytes and sends them with one {@code pg_notify} statement on its own autocommit connection. When that connection
 * fails, the batch is dropped (signals are hints) and the next batch opens a new one. Thread-safe.
 */
final class SignalSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SignalSender.class);
    /** PostgreSQL refuses payloads of 8000 bytes or more; this leaves room. */
    static final int MAX_PAYLOAD_BYTES = 7000;
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

    /** The batch as payloads {@code {"node":…,"signals":[…]}}, each under {@link #MAX_PAYLOAD_BYTES}. */
    List<String> payloads(Set<Signal> batch) {
        String head = "{\"node\":" + quoted(nodeId) + ",\"signals\":[";
        List<String> payloads = new ArrayList<>();
        StringBuilder current = new StringBuilder(head);
        int count = 0;
        for (Signal signal : batch) {
            String encoded;
            try {
                encoded = json.writeValueAsString(signal);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot encode " + signal, e);
            }
            int bytes = utf8Length(current) + encoded.getBytes(StandardCharsets.UTF_8).length + 3;
            if (count > 0 && bytes > MAX_PAYLOAD_BYTES) {
                payloads.add(current.append("]}").toString());
                current = new StringBuilder(head);
                count = 0;
            }
            current.append(count > 0 ? "," : "").append(encoded);
            count++;
        }
        if (count > 0) {
            payloads.add(current.append("]}").toString());
        }
        return payloads;
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

    private String quoted(String text) {
        try {
            return json.writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int utf8Length(CharSequence text) {
        return text.toString().getBytes(StandardCharsets.UTF_8).length;
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
