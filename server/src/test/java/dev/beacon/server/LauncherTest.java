package dev.beacon.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code beacon} launcher script, run with bash on a stand-in checkout whose {@code target/beacon.jar} is a tiny
 * jar (main class {@link LauncherProbe}) that the test "rebuilds" while a process runs it.
 */
class LauncherTest {
    @TempDir
    Path checkout;

    @Test
    void a_rebuild_never_touches_the_jar_a_running_process_uses_and_unused_copies_are_cleaned() throws Exception {
        Files.copy(Path.of("..", "beacon"), checkout.resolve("beacon")); // the repository root, beside this module
        FileTime old = FileTime.from(Instant.now().minusSeconds(3_600));
        for (String module : new String[] {"protocol", "agent", "server"}) {
            Files.createDirectories(checkout.resolve(module + "/src/main"));
            Files.writeString(checkout.resolve(module + "/pom.xml"), "<project/>");
            Files.setLastModifiedTime(checkout.resolve(module + "/src/main"), old);
            Files.setLastModifiedTime(checkout.resolve(module + "/pom.xml"), old);
        }
        Files.writeString(checkout.resolve("pom.xml"), "<project/>");
        Files.setLastModifiedTime(checkout.resolve("pom.xml"), old);
        Path jar = checkout.resolve("target/beacon.jar");
        byte[] first = build(jar, "build 1");

        Path firstCopy = runOnce();
        assertThat(firstCopy).isNotEqualTo(jar).startsWith(checkout.resolve("target/run"));
        assertThat(Files.readAllBytes(firstCopy)).isEqualTo(first);
        assertThat(firstCopy.resolveSibling("beacon-other.jsa")).as("class-data sharing archive of the copy").exists();

        Process running = launcher("wait");
        BufferedReader reader = new BufferedReader(new InputStreamReader(running.getInputStream(), StandardCharsets.UTF_8));
        assertThat(jarOf(reader.readLine())).isEqualTo(firstCopy);

        byte[] second = build(jar, "build 2"); // ./mvnw package rewrites target/beacon.jar in place
        Path secondCopy = runOnce();
        assertThat(secondCopy).isNotEqualTo(firstCopy);
        assertThat(Files.readAllBytes(secondCopy)).isEqualTo(second);
        assertThat(Files.readAllBytes(firstCopy)).as("the running process's jar").isEqualTo(first);

        running.getOutputStream().close();
        assertThat(running.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(runOnce()).isEqualTo(secondCopy);
        assertThat(firstCopy.getParent()).as("copy no process runs any more").doesNotExist();
        assertThat(secondCopy).exists();
    }

    @Test
    void print_java_still_prints_the_java_it_would_run_and_builds_nothing() throws Exception {
        Files.copy(Path.of("..", "beacon"), checkout.resolve("beacon")); // the repository root, beside this module
        ProcessBuilder builder = new ProcessBuilder("bash", checkout.resolve("beacon").toString()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("BEACON_PRINT_JAVA", "1");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor()).isZero();
        assertThat(Path.of(output)).isExecutable();
        assertThat(checkout.resolve("target")).doesNotExist();
    }

    @Test
    void the_server_runs_on_g1_keeping_little_heap_free_with_compact_headers_even_on_one_cpu() throws Exception {
        Files.copy(Path.of("..", "beacon"), checkout.resolve("beacon")); // the repository root, beside this module
        build(checkout.resolve("target/beacon.jar"), "build 1");
        // One CPU, where the JVM on its own would pick the serial collector, which ignores these settings.
        ProcessBuilder builder = new ProcessBuilder("taskset", "-c", "0", "bash", checkout.resolve("beacon").toString(), "server")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("BEACON_CDS", "0");
        builder.environment().remove("BEACON_JAVA_OPTS");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("collectors=[G1 Young Generation, G1 Concurrent GC, G1 Old Generation]")
                .contains("MaxHeapFreeRatio=20").contains("G1PeriodicGCInterval=30000");
        if (Runtime.version().feature() >= 25) {
            assertThat(output).contains("UseCompactObjectHeaders=true");
        }
    }

    @Test
    void a_collector_named_in_beacon_java_opts_replaces_g1() throws Exception {
        Files.copy(Path.of("..", "beacon"), checkout.resolve("beacon")); // the repository root, beside this module
        build(checkout.resolve("target/beacon.jar"), "build 1");
        ProcessBuilder builder = new ProcessBuilder("bash", checkout.resolve("beacon").toString(), "server")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("BEACON_CDS", "0");
        builder.environment().put("BEACON_JAVA_OPTS", "-Xss1m -XX:+UseSerialGC");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("collectors=[Copy, MarkSweepCompact]").contains("MaxHeapFreeRatio=20");
    }

    private Path runOnce() throws Exception {
        Process process = launcher("once");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return jarOf(output.lines().filter(line -> line.startsWith("jar=")).findFirst().orElseThrow(() -> new AssertionError(output)));
    }

    private Process launcher(String mode) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("bash", checkout.resolve("beacon").toString(), "probe", mode)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("BEACON_CDS");
        env.remove("BEACON_COPY_JAR");
        env.remove("BEACON_JAVA_OPTS");
        return builder.start();
    }

    private static Path jarOf(String line) {
        assertThat(line).startsWith("jar=");
        return Path.of(line.substring("jar=".length()));
    }

    /** Writes a runnable jar of {@link LauncherProbe} that differs from other builds by {@code label}; returns its bytes. */
    private static byte[] build(Path jar, String label) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, LauncherProbe.class.getName());
        String classFile = LauncherProbe.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             InputStream probe = LauncherProbe.class.getClassLoader().getResourceAsStream(classFile)) {
            out.putNextEntry(new JarEntry(classFile));
            probe.transferTo(out);
            out.putNextEntry(new JarEntry("build.txt"));
            out.write(label.getBytes(StandardCharsets.UTF_8));
        }
        return Files.readAllBytes(jar);
    }

}
