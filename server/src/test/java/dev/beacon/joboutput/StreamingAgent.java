package dev.beacon.joboutput;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.beacon.store.Database;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * An agent played frame by frame over a real socket ({@link RawAgentSocket}) that runs jobs and streams their output
 * as the tests dictate, plus a direct look at the {@code job_output} table of the server's database. One per test;
 * not thread-safe.
 */
final class StreamingAgent implements AutoCloseable {
    private final TestServer server;
    final RawAgentSocket socket;
    final String robotId;

    private StreamingAgent(TestServer server, RawAgentSocket socket, String robotId) {
        this.server = server;
        this.socket = socket;
        this.robotId = robotId;
    }

    /** Enrolls a robot named {@code name}, connects it to {@code baseUrl} (a node of {@code server}) and says hello. */
    static StreamingAgent connect(TestServer server, String baseUrl, String name) throws InterruptedException {
        JsonNode enrolled = server.claim(server.enrollmentKey(5).get("key_value").asText(), name).json();
        RawAgentSocket socket = RawAgentSocket.connect(baseUrl, enrolled.get("robot_token").asText());
        socket.hello().next("welcome");
        return new StreamingAgent(server, socket, enrolled.get("robot_id").asText());
    }

    static StreamingAgent connect(TestServer server, String name) throws InterruptedException {
        return connect(server, server.baseUrl(), name);
    }

    /** Submits a job for this robot, takes it and accepts it; returns its id. */
    String startJob() throws InterruptedException {
        TestServer.Response submitted = server.post("/api/jobs", "{\"kind\":\"echo\",\"timeout_s\":300,\"target\":{\"robot_id\":\""
                + robotId + "\"}}", server.adminKey());
        String jobId = submitted.json().get("id").asText();
        JsonNode assign = socket.next("job.assign");
        if (!assign.get("job_id").asText().equals(jobId)) {
            throw new AssertionError("assigned " + assign + ", not " + jobId);
        }
        socket.send("{\"type\":\"job.accepted\",\"job_id\":\"" + jobId + "\"}");
        return jobId;
    }

    /** Sends one {@code job.output} frame. */
    StreamingAgent output(String jobId, int attempt, int seq, String stream, String data) {
        ObjectNode frame = TestServer.JSON.createObjectNode().put("type", "job.output").put("job_id", jobId).put("attempt", attempt)
                .put("seq", seq).put("stream", stream).put("data", data);
        socket.send(frame.toString());
        return this;
    }

    /** Reports the job succeeded and waits until the server has settled it. */
    void finish(String jobId) {
        socket.send("{\"type\":\"job.result\",\"job_id\":\"" + jobId + "\",\"status\":\"succeeded\",\"output\":null,\"exit_code\":0}");
        await().atMost(Duration.ofSeconds(20)).until(() ->
                "succeeded".equals(server.get("/api/jobs/" + jobId, server.adminKey()).json().path("status").asText()));
    }

    /** Sends a heartbeat and returns the next frame's type: {@code heartbeat.ack} when nothing else was answered before it. */
    String nextAnswerAfterHeartbeat() throws InterruptedException {
        socket.send("{\"type\":\"heartbeat\"}");
        return socket.next().get("type").asText();
    }

    /** {rows, characters of data, truncation marks} stored for the job, read straight from the database. */
    static long[] stored(TestServer server, String jobId) throws SQLException {
        String url = server.databaseUrl().isEmpty() ? Database.sqliteUrl(server.dataDir()) : server.databaseUrl();
        try (Connection connection = DriverManager.getConnection(url);
             PreparedStatement query = connection.prepareStatement("SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0), "
                     + "COUNT(CASE WHEN stream = 'truncated' THEN 1 END) FROM job_output WHERE job_id = ?")) {
            query.setString(1, jobId);
            try (ResultSet rs = query.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
