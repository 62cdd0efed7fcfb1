package dev.beacon.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A share of the agents held by a child process: the same Java and class path running the hidden
 * {@code beacon loadtest agents-worker}, which answers in JSON lines on its stdout ({@code connected},
 * {@code progress} once a second, then {@code result}) and stops when it reads {@code stop} or its stdin
 * closes. The API key travels in the child's environment, never on its command line. Thread-safe.
 */
final class WorkerAgentGroup implements AgentGroup {
    private final ObjectMapper json;
    private final Process process;
    private final int index;
    private final CompletableFuture<JsonNode> connectedEvent = new CompletableFuture<>();
    private final CompletableFuture<Outcome> result = new CompletableFuture<>();
    private volatile int connected;
    private volatile long heartbeats;
    private volatile long errors;

    WorkerAgentGroup(ObjectMapper json, List<URI> servers, String apiKey, boolean allowRemote, int index, int count, int heartbeatSeconds,
                     int durationSeconds, PrintWriter err) throws IOException {
        this.json = json;
        this.index = index;
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.beacon.Main", "loadtest", "agents-worker", "--count", Integer.toString(count),
                "--heartbeat-s", Integer.toString(heartbeatSeconds), "--duration", Integer.toString(durationSeconds)));
        for (URI server : servers) {
            command.add("--server");
            command.add(server.toString());
        }
        if (allowRemote) {
            command.add("--allow-remote");
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("BEACON_API_KEY", apiKey);
        this.process = builder.start();
        Thread.ofPlatform().daemon().name("loadtest-worker-" + index + "-out").start(this::readEvents);
        Thread.ofPlatform().daemon().name("loadtest-worker-" + index + "-err").start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    synchronized (err) {
                        err.println("worker " + index + ": " + line);
                        err.flush();
                    }
                }
            } catch (IOException e) {
                // the worker is gone; its exit is reported by readEvents
            }
        });
    }

    /** The java that runs this process, so the worker runs on the same JDK. */
    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private void readEvents() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonNode event = json.readTree(line);
                switch (event.path("event").asText()) {
                    case "connected" -> {
                        connected = event.path("connected").asInt();
                        connectedEvent.complete(event);
                    }
                    case "progress" -> {
                        connected = event.path("connected").asInt();
                        heartbeats = event.path("heartbeats").asLong();
                        errors = event.path("errors").asLong();
                    }
                    case "result" -> result.complete(json.treeToValue(event.get("outcome"), Outcome.class));
                    case "failed" -> {
                        IOException failure = new IOException("worker " + index + ": " + event.path("message").asText());
                        connectedEvent.completeExceptionally(failure);
                        result.completeExceptionally(failure);
                    }
                    default -> {
                        // an event a newer worker sends; ignore it
                    }
                }
            }
        } catch (IOException e) {
            // fall through: the worker's output ended
        }
        IOException gone = new IOException("worker " + index + " ended without a result");
        connectedEvent.completeExceptionally(gone);
        result.completeExceptionally(gone);
    }

    @Override
    public void awaitConnected(long deadlineNanos) throws IOException, InterruptedException {
        try {
            connectedEvent.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("worker " + index + " did not connect its agents before the deadline");
        }
    }

    @Override
    public void startMeasuring() throws IOException {
        OutputStream stdin = process.getOutputStream();
        stdin.write("measure\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    @Override
    public int connected() {
        return connected;
    }

    @Override
    public long heartbeatsAcked() {
        return heartbeats;
    }

    @Override
    public long errors() {
        return errors;
    }

    @Override
    public Outcome finish() throws IOException, InterruptedException {
        try {
            OutputStream stdin = process.getOutputStream();
            stdin.write("stop\n".getBytes(StandardCharsets.UTF_8));
            stdin.close();
        } catch (IOException e) {
            // already gone: the result (or its absence) tells
        }
        try {
            return result.get(90, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("worker " + index + " gave no result within 90 s of being told to stop");
        } finally {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Kills the worker if it still runs (the parent failed before {@link #finish}). */
    void kill() {
        process.destroyForcibly();
    }
}
