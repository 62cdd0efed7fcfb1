package dev.beacon.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The running agent: keeps one WebSocket to the server (reconnecting with capped, jittered backoff), reports
 * presence, runs jobs, and ends with an exit code — 0 when stopped, 1 when replaced by another agent, 3 when the
 * server refuses the token.
 *
 * <p>With several server URLs (the nodes of one control plane) it starts with the first. When a connection cannot
 * be made, or ends before the server's {@code welcome}, the next attempt goes to the next URL, cycling, with the
 * same backoff between attempts; a refused token stays final whichever node refused it. After a session that was
 * welcomed, the first attempt goes back to the URL that worked: a blip or a restart of that node costs one retry,
 * and agents do not all stampede the next node while theirs is fine. Thread-safe: {@link #start} runs it on its own thread, and every other method may be
 * called from any thread, including a shutdown hook.
 */
public final class AgentConnection {
    private static final Logger LOG = LoggerFactory.getLogger(AgentConnection.class);

    private final CredentialStore credentials;
    private final ConnectionOptions options;
    private final JobRunner jobs;
    private final Backoff backoff;
    private final HttpClient http;
    private final List<ServerEndpoint> servers;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("beacon-agent-ticker"));
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final CompletableFuture<String> firstWelcome = new CompletableFuture<>();
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private volatile AgentSession session;
    private volatile String sessionId;
    private volatile ServerEndpoint connectedServer;
    private volatile String exitMessage;

    private AgentConnection(CredentialStore credentials, ConnectionOptions options) {
        this.credentials = credentials;
        this.options = options;
        this.jobs = new JobRunner(credentials.current().handlers());
        this.backoff = new Backoff(options.backoffBase(), options.backoffCap(), new Random());
        this.servers = ServerEndpoint.allOf(credentials.current());
        this.http = servers.get(0).httpClient(); // one CA for all nodes, so one client serves them all
    }

    /**
     * Starts the agent for an enrolled {@code config} saved in {@code file} and returns at once; the connection runs
     * on its own thread until {@link #stop()}, {@link #abort()}, or a final answer from the server.
     * Throws {@link AgentException} when the config has no token or an unusable server URL or CA file.
     */
    public static AgentConnection start(AgentConfig config, AgentConfigFile file, ConnectionOptions options) {
        if (!config.enrolled()) {
            throw new AgentException("Not enrolled: " + file.path() + " holds no robot token — run `beacon agent enroll --server URL`.");
        }
        AgentConnection connection = new AgentConnection(new CredentialStore(file, config), options);
        DaemonThreads.start("beacon-agent", connection::run);
        return connection;
    }

    /** Blocks until the agent has stopped and returns its exit code. */
    public int awaitExit() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("exit never completes exceptionally", e);
        }
    }

    /** Like {@link #awaitExit()} but gives up after {@code timeout}; empty if still running. */
    public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        try {
            return OptionalInt.of(exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return OptionalInt.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("exit never completes exceptionally", e);
        }
    }

    /** Blocks until the first {@code welcome} (true) or until the agent stopped or {@code timeout} passed (false). */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        try {
            CompletableFuture.anyOf(firstWelcome, exit).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("neither future completes exceptionally", e);
        }
        return firstWelcome.isDone();
    }

    /** The exit code once stopped; empty while running. */
    public OptionalInt exitCode() {
        return exit.isDone() ? OptionalInt.of(exit.join()) : OptionalInt.empty();
    }

    /** The one-line reason for a non-zero exit (e.g. "The server revoked this robot's token — …"); null otherwise. */
    public String exitMessage() {
        return exitMessage;
    }

    /** The server's id for the current connection, while connected. */
    public Optional<String> sessionId() {
        return Optional.ofNullable(sessionId);
    }

    /** The base URL of the server that welcomed the current connection, while connected. */
    public Optional<String> connectedServer() {
        ServerEndpoint server = connectedServer;
        return server == null ? Optional.empty() : Optional.of(server.base().toString());
    }

    /** The config in use, which changes when the server rotates the token. */
    public AgentConfig config() {
        return credentials.current();
    }

    /**
     * Stops cleanly: sends a close frame with status 1000, waits up to {@link ConnectionOptions#stopTimeout()} for
     * the server's answer, cancels any running job, and exits with 0. Idempotent; safe from a shutdown hook.
     */
    public void stop() {
        stopRequested.countDown();
        AgentSession current = session;
        long deadline = System.nanoTime() + options.stopTimeout().toNanos();
        try {
            if (current != null) {
                current.close(options.stopTimeout());
            }
            // One budget for both steps; the loop ends within milliseconds of the session, so a sliver suffices.
            awaitExit(Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofMillis(200).toNanos())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops without a close frame, so the server sees the connection drop as if the process had been killed. */
    public void abort() {
        stopRequested.countDown();
        AgentSession current = session;
        if (current != null) {
            current.abort();
        }
    }

    private static String withoutStop(String reason) {
        return reason.endsWith(".") ? reason.substring(0, reason.length() - 1) : reason;
    }

    private boolean stopping() {
        return stopRequested.getCount() == 0;
    }

    private void run() {
        int code = 0;
        String message = null;
        try {
            int index = 0;
            while (!stopping()) {
                AgentConfig config = credentials.reload(); // `beacon agent rotate-token` may have saved a new token
                ServerEndpoint server = servers.get(index);
                URI uri = server.websocketUri();
                AgentSession current = new AgentSession(uri, credentials, jobs, options, scheduler);
                session = current;
                if (stopping()) {
                    break; // stop() ran before it could see this session
                }
                current.welcomed().thenAccept(id -> {
                    sessionId = id;
                    connectedServer = server;
                    firstWelcome.complete(id);
                });
                SessionEnd end = current.open(http).get();
                sessionId = null;
                connectedServer = null;
                jobs.cancelCurrent(); // the server retries a job whose robot dropped; never run it twice at once
                boolean welcomed = current.welcomed().isDone();
                if (welcomed) {
                    backoff.reset();
                }
                if (stopping()) {
                    break;
                }
                if (end instanceof SessionEnd.Exit exitNow) {
                    code = exitNow.exitCode();
                    message = exitNow.message();
                    LOG.error("stopping: {}", message);
                    break;
                }
                SessionEnd.Reconnect reconnect = (SessionEnd.Reconnect) end;
                Duration delay = backoff.next(reconnect.notBefore());
                String reason = withoutStop(reconnect.reason());
                String inSeconds = String.format(Locale.ROOT, "%.1f", delay.toMillis() / 1000.0);
                if (welcomed || servers.size() == 1) {
                    LOG.info("{}: {}; {} in {} s", current.opened() ? "disconnected" : "cannot connect", reason,
                            current.opened() ? "reconnecting" : "retrying", inSeconds);
                } else {
                    index = (index + 1) % servers.size();
                    LOG.info("server {} unreachable, trying {} in {} s ({})", server.base(), servers.get(index).base(),
                            inSeconds, reason);
                }
                if (stopRequested.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // nobody interrupts this thread but the JVM going down; just end
        } catch (AgentException e) {
            code = e.exitCode();
            message = e.getMessage();
            LOG.error("stopping: {}", message);
        } catch (ExecutionException | RuntimeException e) {
            code = 1;
            message = "The agent stopped on an unexpected error: " + e;
            LOG.error("stopping on an unexpected error", e);
        } finally {
            jobs.close();
            scheduler.shutdownNow();
            // No HttpClient.shutdownNow() on Java 17: its selector thread is a daemon and ends with the client.
            exitMessage = message;
            if (code == 0) {
                LOG.info("agent stopped");
            }
            exit.complete(code);
        }
    }
}
