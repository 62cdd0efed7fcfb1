package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.testing.Backend;
import dev.beacon.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code beacon-agent.jar}, as built by the reactor, run by a Java 17 runtime (what Debian 12 and Raspberry Pi OS
 * ship) against a server on Java 21+: enroll, Online, a job, and exit 3 after its token is revoked. Finds Java 17 as
 * the machine's {@code java} or under {@code /usr/lib/jvm}; skips without one, except under CI.
 */
class AgentJarOnJava17Test {
    static final Path AGENT_JAR = Path.of("..", "target", "beacon-agent.jar");

    @TempDir
    Path tmp;
    TestServer server;
    Process agent;

    @BeforeEach
    void start() {
        server = TestServer.start(Backend.SQLITE);
    }

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.destroyForcibly();
        }
        server.close();
    }

    @Test
    void the_agent_jar_enrolls_runs_a_job_and_exits_3_when_revoked_on_java_17() throws Exception {
        Path java = java17().orElse(null);
        boolean ci = System.getenv("CI") != null;
        if (java == null && !ci) {
            Assumptions.abort("no Java 17 runtime on this machine (java on PATH or /usr/lib/jvm/*): skipping");
        }
        assertThat(java).as("CI needs a Java 17 runtime to test the agent jar on").isNotNull();
        assertThat(AGENT_JAR).as("the reactor builds the agent jar before the server's tests").exists();

        String key = server.enrollmentKey(1).path("key_value").asText();
        Path config = tmp.resolve("agent.toml");
        Path log = tmp.resolve("agent.log");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-jar", AGENT_JAR.toString(), "run",
                "--server", server.baseUrl(), "--name", "java17-bot", "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("BEACON_ENROLLMENT_KEY", key); // keeps it out of `ps`, as users are told to
        agent = builder.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> robot("java17-bot").map(r -> r.path("status").asText())
                .filter("online"::equals).isPresent());
        String robotId = robot("java17-bot").orElseThrow().path("id").asText();
        assertThat(Files.readString(log)).contains("✓ Enrollment successful!");

        TestServer.Response submitted = server.post("/api/jobs",
                "{\"kind\":\"echo\",\"payload\":{\"hello\":\"java 17\"},\"target\":{\"robot_id\":\"" + robotId + "\"}}",
                server.adminKey());
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        String jobId = submitted.json().path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                server.get("/api/jobs/" + jobId, server.adminKey()).json().path("status").asText().equals("succeeded"));
        assertThat(server.get("/api/jobs/" + jobId, server.adminKey()).body()).contains("java 17");

        assertThat(server.post("/api/robots/" + robotId + "/revoke-token", "{}", server.adminKey()).status()).isEqualTo(200);

        assertThat(agent.waitFor(30, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
        assertThat(agent.exitValue()).as(Files.readString(log)).isEqualTo(3);
    }

    Optional<JsonNode> robot(String name) {
        for (JsonNode robot : server.get("/api/robots", server.adminKey()).json().path("items")) {
            if (robot.path("name").asText().equals(name)) {
                return Optional.of(robot);
            }
        }
        return Optional.empty();
    }

    /** A {@code java} whose runtime is version 17: the one on PATH first, then any under /usr/lib/jvm. */
    static Optional<Path> java17() throws IOException {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            candidates.add(Path.of(dir.isEmpty() ? "." : dir, "java"));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> homes = Files.list(jvms)) {
                homes.sorted().forEach(home -> candidates.add(home.resolve("bin").resolve("java")));
            }
        }
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate) && majorVersion(candidate.toRealPath()) == 17) {
                return Optional.of(candidate.toRealPath());
            }
        }
        return Optional.empty();
    }

    /** The JDK's major version from the {@code release} file beside its {@code bin/}; 0 when unknown. */
    static int majorVersion(Path java) throws IOException {
        Path release = java.getParent().getParent().resolve("release");
        if (!Files.isReadable(release)) {
            return 0;
        }
        for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
            if (line.startsWith("JAVA_VERSION=")) {
                String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                int dot = version.indexOf('.');
                return Integer.parseInt(dot < 0 ? version : version.substring(0, dot));
            }
        }
        return 0;
    }
}
