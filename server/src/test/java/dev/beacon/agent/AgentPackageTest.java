package dev.beacon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's Debian package and tarball as the reactor builds them into {@code target/downloads}: what they hold,
 * with which modes, and what Debian's own tools say of them ({@code dpkg-deb}, {@code lintian},
 * {@code systemd-analyze verify}, {@code shellcheck}). Each tool's test is skipped with a message where the tool is
 * missing, except under CI, whose {@code .ci/run} installs them. Installing the package for real is CI's package
 * test; nothing here touches the machine outside a temp directory.
 */
class AgentPackageTest {
    static final Path DOWNLOADS = Path.of("..", "target", "downloads");

    @TempDir
    Path tmp;
    Path deb;

    @BeforeEach
    void findThePackage() throws IOException {
        assertThat(DOWNLOADS).as("the agent module's package phase writes target/downloads").isDirectory();
        try (Stream<Path> files = Files.list(DOWNLOADS)) {
            List<Path> debs = files.filter(f -> f.getFileName().toString().matches("beacon-agent_.+_all\\.deb")).toList();
            assertThat(debs).as("exactly one agent package in " + DOWNLOADS).hasSize(1);
            deb = debs.get(0);
        }
    }

    @Test
    void the_control_fields_name_an_architecture_independent_package_on_the_distributions_java() throws Exception {
        requireTool("dpkg-deb");

        assertThat(run("dpkg-deb", "-f", deb.toString(), "Package")).isEqualTo("beacon-agent\n");
        assertThat(run("dpkg-deb", "-f", deb.toString(), "Architecture")).isEqualTo("all\n");
        assertThat(run("dpkg-deb", "-f", deb.toString(), "Depends"))
                .isEqualTo("adduser, default-jre-headless (>= 2:1.17) | java17-runtime-headless\n");
        String version = run("dpkg-deb", "-f", deb.toString(), "Version").strip();
        assertThat(deb.getFileName().toString()).isEqualTo("beacon-agent_" + version + "_all.deb");
        assertThat(DOWNLOADS.resolve("beacon-agent-" + version + ".tar.gz")).exists();
        assertThat(DOWNLOADS.resolve("beacon-agent.jar")).exists();
    }

    @Test
    void it_ships_the_launcher_the_jar_the_unit_and_the_docs_owned_by_root_with_their_modes() throws Exception {
        requireTool("dpkg-deb");

        Map<String, String> files = new LinkedHashMap<>(); // path -> "mode owner"
        for (String line : run("dpkg-deb", "-c", deb.toString()).split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns[0].startsWith("-")) {
                files.put(columns[columns.length - 1], columns[0] + " " + columns[1]);
            } else {
                assertThat(columns[0] + " " + columns[1]).as(line).isEqualTo("drwxr-xr-x root/root");
            }
        }

        assertThat(files).containsExactlyInAnyOrderEntriesOf(Map.of(
                "./usr/bin/beacon-agent", "-rwxr-xr-x root/root",
                "./usr/share/beacon-agent/beacon-agent.jar", "-rw-r--r-- root/root",
                "./usr/lib/systemd/system/beacon-agent.service", "-rw-r--r-- root/root",
                "./usr/share/man/man1/beacon-agent.1.gz", "-rw-r--r-- root/root",
                "./usr/share/doc/beacon-agent/copyright", "-rw-r--r-- root/root",
                "./usr/share/doc/beacon-agent/changelog.gz", "-rw-r--r-- root/root"));
        assertThat(files).as("the config is the agent's to write, never a conffile").doesNotContainKey("./etc/roboflare/agent.toml");
    }

    @Test
    void its_maintainer_scripts_are_posix_sh_with_set_e_and_touch_systemd_only_where_it_runs() throws Exception {
        requireTool("dpkg-deb");
        Path control = tmp.resolve("DEBIAN");
        run("dpkg-deb", "-e", deb.toString(), control.toString());

        for (String script : List.of("postinst", "prerm", "postrm")) {
            Path file = control.resolve(script);
            assertThat(Files.isExecutable(file)).as(script).isTrue();
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            assertThat(lines.get(0)).as(script).isEqualTo("#!/bin/sh");
            assertThat(lines).as(script).contains("set -e");
            run("sh", "-n", file.toString());
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).matches("\\s*(systemctl|deb-systemd-invoke) .*")) {
                    assertThat(lines.subList(0, i)).as(script + " line " + (i + 1) + " runs only under systemd")
                            .anyMatch(l -> l.contains("[ -d /run/systemd/system ]"));
                }
            }
        }
        assertThat(Files.readString(control.resolve("postinst"))).contains("home=/var/lib/beacon-agent\n",
                "adduser --system --group --home \"$home\"", "install -d -o \"$user\" -g \"$user\" -m 0700 \"$config_dir\"");
        assertThat(Files.readString(control.resolve("postrm"))).contains("rm -f \"$config_dir/agent.toml\"", "deluser --system");
        assertThat(control.resolve("conffiles")).doesNotExist();
    }

    @Test
    void shellcheck_passes_the_launcher_and_the_maintainer_scripts() throws Exception {
        requireTool("dpkg-deb");
        requireTool("shellcheck");
        run("dpkg-deb", "-x", deb.toString(), tmp.resolve("root").toString());
        run("dpkg-deb", "-e", deb.toString(), tmp.resolve("DEBIAN").toString());

        run("shellcheck", "-s", "sh", tmp.resolve("root/usr/bin/beacon-agent").toString(),
                tmp.resolve("DEBIAN/postinst").toString(), tmp.resolve("DEBIAN/prerm").toString(),
                tmp.resolve("DEBIAN/postrm").toString());
    }

    @Test
    void systemd_analyze_verifies_the_unit_which_runs_as_beacon_agent_and_stops_restarting_on_exit_3() throws Exception {
        requireTool("dpkg-deb");
        requireTool("systemd-analyze");
        Path root = tmp.resolve("root");
        run("dpkg-deb", "-x", deb.toString(), root.toString());
        String unit = Files.readString(root.resolve("usr/lib/systemd/system/beacon-agent.service"));

        assertThat(unit).contains("\nUser=beacon-agent\n", "\nExecStart=/usr/bin/beacon-agent run\n",
                "\nEnvironment=BEACON_AGENT_CONFIG=/etc/roboflare/agent.toml\n", "\nReadWritePaths=/etc/roboflare\n",
                "\nRestartPreventExitStatus=3\n", "\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n",
                "\nConditionPathExists=/etc/roboflare/agent.toml\n");
        assertThat(unit.lines().filter(line -> !line.startsWith("#")))
                .as("jobs reach devices, and the JVM's compiler needs writable code memory")
                .noneMatch(line -> line.startsWith("PrivateDevices=") || line.startsWith("ProtectClock=")
                        || line.startsWith("DeviceAllow=") || line.startsWith("MemoryDenyWriteExecute="));
        // verify checks that ExecStart's program exists: point it at the extracted launcher, the one line changed.
        Path copy = Files.createDirectories(tmp.resolve("units")).resolve("beacon-agent.service");
        Files.writeString(copy, unit.replace("ExecStart=/usr/bin/beacon-agent", "ExecStart=" + root.resolve("usr/bin/beacon-agent")));
        assertThat(run("systemd-analyze", "verify", "--man=no", copy.toString())).isEmpty();
    }

    @Test
    void lintian_reports_no_error_and_no_warning() throws Exception {
        requireTool("lintian");

        // Exit status 0 with --fail-on error,warning: no error and no warning (info and pedantic tags are not shown).
        String report = run("lintian", "--fail-on", "error,warning", deb.toString());
        assertThat(report.lines().filter(line -> line.startsWith("E:") || line.startsWith("W:"))).isEmpty();
    }

    @Test
    void the_tarball_launcher_runs_the_jar_beside_it_and_uses_the_service_config_only_for_root() throws Exception {
        requireTool("tar");
        Path tarball;
        try (Stream<Path> files = Files.list(DOWNLOADS)) {
            tarball = files.filter(f -> f.getFileName().toString().matches("beacon-agent-.+\\.tar\\.gz")).findFirst().orElseThrow();
        }
        run("tar", "-xzf", tarball.toString(), "-C", tmp.toString());
        Path dir;
        try (Stream<Path> dirs = Files.list(tmp)) {
            dir = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(dir.resolve("beacon-agent.service")).exists();
        assertThat(dir.resolve("INSTALL")).content().contains("beacon-agent enroll").doesNotContain("@project.version@");
        Path launcher = dir.resolve("beacon-agent");

        assertThat(run(launcher.toString(), "--version")).startsWith("beacon ");
        // status names the file it looked for; a config of this test's own is never written.
        Map<String, String> env = Map.of("BEACON_AGENT_CONFIG", tmp.resolve("named/agent.toml").toString());
        assertThat(runFailing(env, launcher.toString(), "status")).contains(tmp.resolve("named/agent.toml").toString());
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root && !Files.exists(Path.of("/etc/roboflare/agent.toml"))) {
            assertThat(runFailing(Map.of(), launcher.toString(), "status")).contains("/etc/roboflare/agent.toml does not exist");
        }
    }

    /** Skips the test when {@code tool} is not on PATH, except under CI, where it fails. */
    static void requireTool(String tool) {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir.isEmpty() ? "." : dir, tool)));
        if (!found && System.getenv("CI") == null) {
            Assumptions.abort(tool + " is not installed (apt-get install " + switch (tool) {
                case "dpkg-deb" -> "dpkg";
                case "systemd-analyze" -> "systemd";
                default -> tool;
            } + "): skipping");
        }
        assertThat(found).as(tool + " on PATH (CI installs it in .ci/run)").isTrue();
    }

    /** Runs a command to its end and returns its output; fails the test on a non-zero exit. */
    static String run(String... command) throws IOException, InterruptedException {
        Outcome outcome = execute(Map.of(), command);
        assertThat(outcome.exitCode()).as(String.join(" ", command) + "\n" + outcome.output()).isZero();
        return outcome.output();
    }

    /** Runs a command that must fail, with extra environment, and returns its output. */
    static String runFailing(Map<String, String> env, String... command) throws IOException, InterruptedException {
        Outcome outcome = execute(env, command);
        assertThat(outcome.exitCode()).as(String.join(" ", command) + "\n" + outcome.output()).isNotZero();
        return outcome.output();
    }

    record Outcome(int exitCode, String output) {
    }

    static Outcome execute(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true);
        builder.environment().remove("BEACON_AGENT_CONFIG");
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(3, TimeUnit.MINUTES)).as(String.join(" ", command)).isTrue();
        return new Outcome(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
