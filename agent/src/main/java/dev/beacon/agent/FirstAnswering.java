package dev.beacon.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * Asks the servers of one control plane in order until one answers, for the one-shot requests (enrollment,
 * {@code agent status}, {@code rotate-token}). Only "could not talk to it at all" (a
 * {@link ServerUnreachableException} whose request was {@linkplain ServerUnreachableException#neverSent() never
 * sent}) moves on to the next server; any answer, a refusal included, is final, because every node of a control
 * plane gives the same answer, and so is a request that broke off after it was sent, which may have taken effect.
 * Stateless; runs on the caller's thread.
 */
public final class FirstAnswering {
    /** One request to one server. */
    @FunctionalInterface
    public interface Attempt<T> {
        T to(ServerEndpoint server) throws InterruptedException;
    }

    /** Told before each move to the next server, e.g. to print one line about it. */
    @FunctionalInterface
    public interface Failover {
        void moving(ServerEndpoint unreachable, ServerUnreachableException failure, ServerEndpoint next);
    }

    private FirstAnswering() {
    }

    /**
     * The answer of the first server in {@code servers} that can be reached. {@code onFailover} is told before each
     * move. When none can be reached, throws one
     * {@link ServerUnreachableException} naming each failure in turn.
     */
    public static <T> T ask(List<ServerEndpoint> servers, Attempt<T> attempt,
                            Failover onFailover) throws InterruptedException {
        List<ServerUnreachableException> failures = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            try {
                return attempt.to(servers.get(i));
            } catch (ServerUnreachableException e) {
                if (!e.neverSent()) {
                    throw e;
                }
                failures.add(e);
                if (i + 1 < servers.size()) {
                    onFailover.moving(servers.get(i), e, servers.get(i + 1));
                }
            }
        }
        throw ServerUnreachableException.ofAll(failures);
    }
}
