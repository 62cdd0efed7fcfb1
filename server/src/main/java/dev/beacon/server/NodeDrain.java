package dev.beacon.server;

import dev.beacon.agentchannel.AgentChannel;
import dev.beacon.jobs.Dispatcher;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first part of a clean shutdown (SIGTERM): the node <b>drains</b>. It says it is not ready ({@code /readyz}
 * answers 503 {@code server_draining}, so a load balancer sends it nothing new), refuses new agent connections
 * (503 {@code server_shutting_down}), gives no new job to its agents (jobs queued meanwhile go to agents on other
 * nodes, or wait), and waits up to the grace period ({@code --shutdown-grace}) for the jobs its agents hold to end.
 * What is still held afterwards is the shutdown's to settle: {@code bye: shutdown}, and each job back to the queue
 * with its attempt given back ({@link Dispatcher#SHUTDOWN}).
 *
 * <p>The wait is in real time ({@link System#nanoTime}), whatever ticker the server runs on: it is how long a
 * supervisor waits. {@link #run} is called once, on the shutdown's thread; {@link #isDraining} on request threads.
 * Thread-safe.
 */
final class NodeDrain {
    private static final Logger log = LoggerFactory.getLogger(BeaconServer.class);
    /** How often the drain counts the jobs still held: one small read on this node's sessions. */
    private static final long POLL_MILLIS = 100;

    private final AgentChannel channel;
    private final Dispatcher dispatcher;
    private final Supplier<String> nodeId;
    private final Duration grace;
    private volatile boolean draining;

    NodeDrain(AgentChannel channel, Dispatcher dispatcher, Supplier<String> nodeId, Duration grace) {
        this.channel = channel;
        this.dispatcher = dispatcher;
        this.nodeId = nodeId;
        this.grace = grace;
    }

    /** Whether the node has begun to drain (it never stops draining: a drained node shuts down). */
    boolean isDraining() {
        return draining;
    }

    /** The grace period: how long {@link #run} waits for held jobs at most. */
    Duration grace() {
        return grace;
    }

    /**
     * Stops taking new agents and giving out jobs, then waits until no job is held through this node or the grace
     * period has passed. Returns how many jobs were still held when it stopped waiting (0: drained).
     */
    int run() {
        draining = true;
        channel.stopAccepting();
        dispatcher.stopDispatching();
        long started = System.nanoTime();
        long deadline = started + grace.toNanos();
        int held = held();
        if (held == 0) {
            log.info("draining: no job is running on this node's agents; shutting down");
            return 0;
        }
        if (grace.isZero()) {
            log.info("draining: {} {} still running on this node's agents and --shutdown-grace is 0; they go back to the queue "
                    + "without using an attempt", held, held == 1 ? "job is" : "jobs are");
            return held;
        }
        log.info("draining: waiting up to {} s for {} {} running on this node's agents (no new agents or jobs meanwhile)",
                grace.toSeconds(), held, held == 1 ? "job" : "jobs");
        try {
            while (held > 0 && System.nanoTime() < deadline) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(POLL_MILLIS, left)));
                held = held();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop waiting: the rest of the shutdown settles what is held
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (held == 0) {
            log.info("drained in {} ms: every job running on this node's agents ended", tookMillis);
        } else {
            log.info("drain stopped after {} ms with {} {} still running; {} back to the queue without using an attempt", tookMillis, held,
                    held == 1 ? "job" : "jobs", held == 1 ? "it goes" : "they go");
        }
        return held;
    }

    /** Jobs held through this node's open sessions; 0 when the database cannot say (the shutdown then settles them). */
    private int held() {
        try {
            return dispatcher.heldOnNode(nodeId.get());
        } catch (RuntimeException e) {
            log.warn("draining: could not count the jobs held on this node; not waiting for them", e);
            return 0;
        }
    }
}
