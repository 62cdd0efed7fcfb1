package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A person signed in to the dashboard of one server node, over plain HTTP: pages and fragments with the session
 * cookie, and the live-update stream ({@code /events}) read on its own thread into a queue of event names. For tests;
 * not thread-safe apart from the event queue.
 */
final class DashboardSession implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String baseUrl;
    private final String cookie;
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private Thread reader;
    private volatile BufferedReader stream;

    private DashboardSession(String baseUrl, String cookie) {
        this.baseUrl = baseUrl;
        this.cookie = cookie;
    }

    /** Signs in on the server at {@code baseUrl}. */
    static DashboardSession signIn(String baseUrl, String username, String password) throws Exception {
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(Map.of("username", username, "password", password).entrySet().stream()
                        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                        .collect(Collectors.joining("&"))))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(303);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return new DashboardSession(baseUrl, setCookie.substring(0, setCookie.indexOf(';')));
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Cookie", cookie).header("Accept", "text/html")
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body of a page or fragment that must answer 200. */
    String page(String path) throws Exception {
        HttpResponse<String> response = get(path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    /** Opens {@code /events} and waits for its {@code ready} event: changes after this return are announced. */
    DashboardSession watch() throws Exception {
        HttpResponse<java.io.InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/events"))
                .header("Cookie", cookie).header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        stream = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        reader = Thread.ofVirtual().name("test-events-reader").start(() -> {
            try {
                String line;
                while ((line = stream.readLine()) != null) {
                    if (line.startsWith("event:")) {
                        events.add(line.substring("event:".length()).strip());
                    }
                }
            } catch (IOException e) {
                // closed by the test
            }
        });
        assertThat(nextEventWithin(Duration.ofSeconds(10), Set.of("ready"))).isEqualTo("ready");
        return this;
    }

    /** Forgets the events received so far. */
    void clearEvents() {
        events.clear();
    }

    /**
     * The first event among {@code wanted} that arrives within {@code within} (others are skipped), or null when none
     * came.
     */
    String nextEventWithin(Duration within, Set<String> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            String event = events.poll(left, TimeUnit.NANOSECONDS);
            if (event != null && wanted.contains(event)) {
                return event;
            }
        }
    }

    @Override
    public void close() {
        try {
            if (stream != null) {
                stream.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (reader != null) {
            reader.interrupt();
        }
    }
}
