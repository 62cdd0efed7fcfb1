package dev.beacon.cli.ops;

import dev.beacon.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code beacon …} as a separate JVM from the test class path, the way an operator's shell does: its own
 * environment (a private {@code XDG_CONFIG_HOME}, no inherited {@code BEACON_*}), stdin closed unless given, stdout and
 * stderr captured apart. Not thread-safe.
 */
final class CliProcess {
    /** A finished run. */
    record Result(int exitCode, String out, String err) {
        /** The stderr lines, for asserting the one-line error contract. */
        List<String> errLines() {
            return err.lines().filter(line -> !line.isBlank()).toList();
        }
    }

    private final Path configHome;
    private final Map<String, String> env = new HashMap<>();

    CliProcess(Path configHome) {
        this.configHome = configHome;
    }

    /** Sets (or, with null, removes) an environment variable for every later run. */
    CliProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** {@code beacon args…} in a new JVM with this environment. */
    static ProcessBuilder builder(String... args) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-Xshare:auto", "-cp", classpath, Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("BEACON_") || name.equals("NO_COLOR"));
        return builder;
    }

    Result run(String... args) {
        return runWithStdin(null, args);
    }

    Result runWithStdin(String stdin, String... args) {
        ProcessBuilder builder = builder(args);
        builder.environment().put("XDG_CONFIG_HOME", configHome.toString());
        env.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        try {
            Path out = Files.createTempFile(configHome.getParent(), "cli-out", ".txt");
            Path err = Files.createTempFile(configHome.getParent(), "cli-err", ".txt");
            builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process = builder.start();
            if (stdin != null) {
                process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            process.getOutputStream().close();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("beacon " + String.join(" ", args) + " did not finish within 120 s");
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
