package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.beacon.Main;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code agent enroll} in a real pseudo-terminal (util-linux {@code script}) to prove the key is not echoed. */
class TerminalPromptTest {
    @TempDir
    Path tmp;

    @Test
    void the_prompt_does_not_echo_the_typed_key_and_a_truncated_key_is_named_as_such() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs util-linux script for a pty");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> agent = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                Main.class.getName(), "agent", "enroll", "--server", "http://127.0.0.1:1",
                "--config", tmp.resolve("agent.toml").toString(), "--no-start");
        // Visible in any echo: a recognisable, well-formed prefix that is too short to be a key.
        String typed = TokenFormat.generate(TokenKind.ENROLLMENT).value().substring(0, 40);

        Process script = new ProcessBuilder("script", "-qec", shellQuoted(agent), "/dev/null")
                .redirectErrorStream(true).start();
        Transcript transcript = Transcript.of(script.getInputStream());
        try (OutputStream keyboard = script.getOutputStream()) {
            assertThat(transcript.awaitText("Enter enrollment token: ", 30)).as(transcript.text()).isTrue();
            keyboard.write((typed + "\n").getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            assertThat(script.waitFor(30, TimeUnit.SECONDS)).as(transcript.text()).isTrue();
        } finally {
            script.destroyForcibly();
        }

        String screen = transcript.awaitEnd();
        assertThat(screen).contains("Enter enrollment token: ");
        assertThat(screen).doesNotContain(typed).doesNotContain(typed.substring(10, 30));
        assertThat(screen).contains("✗ The enrollment key is not valid: it looks truncated (40 of 82 characters)");
        assertThat(script.exitValue()).isEqualTo(1);
        assertThat(tmp.resolve("agent.toml")).doesNotExist();
    }

    private static String shellQuoted(List<String> argv) {
        StringBuilder command = new StringBuilder();
        for (String arg : argv) {
            command.append(command.isEmpty() ? "" : " ").append('\'').append(arg.replace("'", "'\\''")).append('\'');
        }
        return command.toString();
    }

    /** Everything the terminal showed, read on a background thread. */
    private static final class Transcript {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread reader;

        private Transcript(InputStream in) {
            reader = Thread.ofPlatform().daemon().start(() -> {
                byte[] buffer = new byte[4096];
                try (in) {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        synchronized (bytes) {
                            bytes.write(buffer, 0, n);
                            bytes.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
        }

        static Transcript of(InputStream in) {
            return new Transcript(in);
        }

        String text() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }

        boolean awaitText(String expected, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            synchronized (bytes) {
                while (!bytes.toString(StandardCharsets.UTF_8).contains(expected)) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        return false;
                    }
                    bytes.wait(left);
                }
                return true;
            }
        }

        String awaitEnd() throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(10));
            return text();
        }
    }
}
