package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.store.Database;
import dev.beacon.testing.Backend;
import dev.beacon.testing.BeaconTest;
import dev.beacon.testing.RawAgentSocket;
import dev.beacon.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Agents' frames are read on Jetty's selector thread, which reads every connection it watches: whatever waits (the
 * database above all) must wait somewhere else, or one slow agent stalls all of them.
 */
@BeaconTest
class ReadThreadTest {
    private static final String HEARTBEAT = "{\"type\":\"heartbeat\",\"sent_at\":\"2026-01-01T00:00:00Z\"}";

    @Parameter
    Backend backend;

    TestServer server;

    @Test
    void a_hello_that_waits_for_the_database_does_not_hold_up_another_agents_heartbeats() throws Exception {
        String key = server.enrollmentKey(5).get("key_value").asText();
        JsonNode steadyRobot = server.claim(key, "steady-bot").json();
        JsonNode waitingRobot = server.claim(key, "waiting-bot").json();
        try (RawAgentSocket steady = RawAgentSocket.connect(server.baseUrl(), steadyRobot.get("robot_token").asText())) {
            steady.hello().next("welcome");
            try (Connection lock = holdWrites(waitingRobot.get("robot_id").asText());
                 RawAgentSocket waiting = RawAgentSocket.connect(server.baseUrl(), waitingRobot.get("robot_token").asText())) {
                waiting.hello();
                helloIsWaiting(lock);
                for (int i = 0; i < 3; i++) {
                    JsonNode ack = steady.send(HEARTBEAT).next(Duration.ofSeconds(3));
                    assertThat(ack.get("type").asText()).isEqualTo("heartbeat.ack");
                }
                assertThat(waiting.hasFrame()).as("the hello still waits for the lock").isFalse();
                lock.rollback();
                assertThat(waiting.next().get("type").asText()).isEqualTo("welcome");
            }
        }
    }

    /**
     * A transaction that holds what the waiting robot's hello must write: SQLite's write lock, or the robot's row on
     * PostgreSQL.
     */
    private Connection holdWrites(String robotId) throws SQLException {
        Connection connection;
        if (server.databaseUrl().isEmpty()) {
            Properties properties = new Properties();
            properties.setProperty("busy_timeout", "10000");
            connection = DriverManager.getConnection(Database.sqliteUrl(server.dataDir()), properties);
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("UPDATE robots SET name = name WHERE id = '" + robotId + "'"); // takes the write lock
            }
        } else {
            connection = DriverManager.getConnection(server.databaseUrl());
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement("SELECT id FROM robots WHERE id = ? FOR UPDATE")) {
                statement.setString(1, robotId);
                statement.executeQuery().close();
            }
        }
        return connection;
    }

    /**
     * Until the hello has been read and waits for the lock: seen on PostgreSQL as a session waiting for a lock; SQLite shows no
     * waiter, so there a second, in which the server reads the hello, has to do.
     */
    private void helloIsWaiting(Connection lock) throws Exception {
        if (server.databaseUrl().isEmpty()) {
            Thread.sleep(1000);
            return;
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Statement statement = lock.createStatement();
                 ResultSet waiting = statement.executeQuery(
                         "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")) {
                waiting.next();
                return waiting.getInt(1) > 0;
            }
        });
    }
}
