package dev.beacon.loadtest;

import java.io.IOException;
import java.util.Map;

/**
 * A share of the {@code agents} scenario's simulated agents: held in this process ({@link LocalAgentGroup}) or
 * by a child worker process ({@link WorkerAgentGroup}), so that one run can hold more sockets than one process
 * may open. Called from the scenario's thread, except the live figures, which the progress line reads.
 */
interface AgentGroup {

    /** Blocks until every agent of the group has been welcomed or has failed its first connect, or the deadline. */
    void awaitConnected(long deadlineNanos) throws IOException, InterruptedException;

    /** Starts recording heartbeat round trips: the steady phase begins. */
    void startMeasuring() throws IOException;

    /** Agents connected and welcomed right now (as last reported, for a worker). */
    int connected();

    /** Heartbeats acknowledged so far (as last reported). */
    long heartbeatsAcked();

    /** Errors so far (as last reported). */
    long errors();

    /** Closes the group's sockets and returns what it measured. */
    Outcome finish() throws IOException, InterruptedException;

    /** What one group measured; latencies in nanoseconds. */
    record Outcome(double enrollSeconds, double connectSeconds, AgentFleet.Counts counts, long[] heartbeatNanos,
                   Map<String, Long> heartbeatErrors, long[] reconnectNanos, Map<String, Long> reconnectErrors) {
    }
}
