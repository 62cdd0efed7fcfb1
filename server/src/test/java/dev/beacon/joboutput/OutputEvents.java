package dev.beacon.joboutput;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A client of {@code GET /api/jobs/{id}/output?follow=true}: reads the server-sent events on a thread of its own into
 * a queue, for a test to take one by one. The reader ends when the server closes the stream. Not thread-safe apart
 * from the queue.
 */
final class OutputEvents implements AutoCloseable {
    /** One event: its {@code id:} (null when it had none), {@code event:} name and {@code data:} parsed as JSON. */
    record Event(String id, String name, JsonNode data) {
    }

    /** Put on the queue when the server closed the stream. */
    static final Event CLOSED = new Event(null, "(closed)", null);

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final HttpResponse<Stream<String>> response;

    private OutputEvents(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = Thread.ofVirtual().start(() -> {
            String id = null;
            String name = null;
            StringBuilder data = new StringBuilder();
            try (Stream<String> lines = response.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.isEmpty()) {
                        if (name != null) {
                            events.add(new Event(id, name, TestServer.JSON.readTree(data.toString())));
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // closed by the test
            }
            events.add(CLOSED);
        });
    }

    /** Opens the stream at {@code baseUrl} with {@code apiKey}; {@code lastEventId} may be null. */
    static OutputEvents follow(String baseUrl, String jobId, String apiKey, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/api/jobs/" + jobId + "/output?follow=true"))
                .header("X-Beacon-API-Key", apiKey).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            throw new AssertionError("follow answered " + response.statusCode());
        }
        if (!response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            throw new AssertionError("not an event stream: " + response.headers().map());
        }
        return new OutputEvents(response);
    }

    /** The next event, or an AssertionError after {@code within}. */
    Event next(Duration within) throws InterruptedException {
        Event event = events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (event == null) {
            throw new AssertionError("no event within " + within);
        }
        return event;
    }

    @Override
    public void close() {
        reader.interrupt();
        response.body().close();
    }
}
