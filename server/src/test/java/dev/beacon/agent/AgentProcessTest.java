package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code beacon agent run} as a separate process, to test what only a real process has: signals. */
class AgentProcessTest {
    @TempDir
    Path tmp;
    FakeBeaconServer server;

    @BeforeEach
    void start() {
        server = FakeBeaconServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static Process agentProcess(String... args) throws IOException {
        return agentProcessBuilder(args).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** {@code beacon agent args…} in a new JVM, stderr merged into stdout; the caller may change its environment. */
    static ProcessBuilder agentProcessBuilder(String... args) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                Main.class.getName(), "agent"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    @Test
    void sigterm_closes_the_socket_with_status_1000_and_the_process_exits_0() throws Exception {
        Path config = tmp.resolve("agent.toml");
        AgentConfigFile.at(config).write(new AgentConfig(server.baseUrl(), server.robotId(), server.robotToken(), "bot-1",
                "default", "a", "b", null, Map.of(), Map.of()));
        Process agent = agentProcess("run", "--config", config.toString());
        try {
            server.await("hello", Duration.ofSeconds(30));

            agent.destroy(); // SIGTERM

            assertThat(server.awaitClose(Duration.ofSeconds(10)).status()).isEqualTo(1000);
            assertThat(agent.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(agent.exitValue()).as("a clean stop on SIGTERM is exit 0, not 143").isZero();
        } finally {
            agent.destroyForcibly();
        }
    }

    @Test
    void the_default_config_path_follows_home_from_the_environment() throws Exception {
        Path home = tmp.resolve("home");
        ProcessBuilder builder = agentProcessBuilder("status");
        builder.environment().put("HOME", home.toString());
        builder.environment().remove("XDG_CONFIG_HOME");

        Process agent = builder.start();
        String output = new String(agent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(agent.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(1);
        assertThat(output).contains("Not enrolled: " + home.resolve(".config/roboflare/agent.toml") + " does not exist");

        Path xdg = tmp.resolve("xdg");
        builder.environment().put("XDG_CONFIG_HOME", xdg.toString());
        Process withXdg = builder.start();
        String xdgOutput = new String(withXdg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(withXdg.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(xdgOutput).contains("Not enrolled: " + xdg.resolve("roboflare/agent.toml") + " does not exist");
    }
}
