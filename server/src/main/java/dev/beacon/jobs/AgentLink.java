package dev.beacon.jobs;

/** A way to reach one greeted agent session: the agent channel hands one to the {@link Dispatcher} on hello. */
@FunctionalInterface
public interface AgentLink {
    /** Sends a JSON text frame; dropped when the socket is closed (its end is reported separately). */
    void send(String frame);
}
