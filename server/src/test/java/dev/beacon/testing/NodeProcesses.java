package dev.beacon.testing;

import dev.beacon.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Beacon server nodes as real processes ({@code beacon server} in its own JVM, from the test class path) on one fresh
 * PostgreSQL database, sharing one secret key: what a cluster test needs to kill a node with SIGKILL, stop it with
 * SIGTERM, or restart it on its port. Each node has its own data directory and its output kept for failure messages.
 * Closing stops every node and drops the database.
 */
public final class NodeProcesses implements AutoCloseable {
    static final Pattern LISTENING = Pattern.compile("Beacon is listening on (\\S+)");
    static final Pattern API_KEY = Pattern.compile("rf_api_[0-9a-f]{72}");
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final String databaseUrl;
    private final String secretKey;
    private final Path poolSettings;
    /** Guarded by itself: nodes may be started from several threads at once. */
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private String apiKey;

    private NodeProcesses(Path dir, String databaseUrl) {
        this.dir = dir;
        this.databaseUrl = databaseUrl;
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.secretKey = HexFormat.of().formatHex(key);
        this.poolSettings = writePoolSettings(dir);
    }

    /** A fresh PostgreSQL database for nodes whose data directories live under {@code dir}. */
    public static NodeProcesses onNewDatabase(Path dir) {
        return new NodeProcesses(dir, Backend.POSTGRESQL.createDatabase(dir));
    }

    public String databaseUrl() {
        return databaseUrl;
    }

    /** Starts node {@code name} on a free port, waits until it listens; its extra arguments follow the defaults. */
    public Node start(String name, String... extraArgs) {
        return start(name, freePort(), extraArgs);
    }

    /**
     * Starts node {@code name} on {@code port} (to restart a node where a proxy expects it). Several threads may start
     * nodes at once (after the first node migrated the database, so that they do not race to create its tables).
     */
    public Node start(String name, int port, String... extraArgs) {
        Node node = new Node(name, port, List.of(extraArgs));
        synchronized (nodes) {
            if (nodes.putIfAbsent(name, node) != null) {
                throw new IllegalArgumentException("node " + name + " was started already; restart() it instead");
            }
        }
        node.launch();
        return node;
    }

    public Node node(String name) {
        synchronized (nodes) {
            return nodes.get(name);
        }
    }

    public List<Node> nodes() {
        synchronized (nodes) {
            return List.copyOf(nodes.values());
        }
    }

    /** An admin API key of the default organization, made once with {@code beacon admin api-key create} (after a node started). */
    public synchronized String apiKey() {
        if (apiKey == null) {
            List<String> output = run(List.of("admin", "api-key", "create", "--name", "cluster-test",
                    "--data-dir", dir.resolve("admin").toString(), "--database-url", databaseUrl));
            // The output mixes the CLI's own lines (and, merged in, its log) with the key: take the key itself.
            apiKey = output.stream().map(API_KEY::matcher).filter(Matcher::find).map(Matcher::group)
                    .reduce((first, last) -> last)
                    .orElseThrow(() -> new IllegalStateException("no API key in the output of beacon admin api-key create:\n"
                            + String.join("\n", output)));
        }
        return apiKey;
    }

    /** Runs a {@code beacon} command against this cluster's database, returning its output lines; fails on a non-zero exit. */
    public List<String> run(List<String> args) {
        try {
            Process process = command(args).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("beacon " + String.join(" ", args) + " failed:\n" + output);
            }
            return output.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    ProcessBuilder command(List<String> args) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-Dhikaricp.configurationFile=" + poolSettings, "-cp", classpath,
                Main.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("BEACON_SECRET_KEY", secretKey);
        builder.environment().put("BEACON_ADMIN_PASSWORD", "cluster-test-password");
        return builder;
    }

    /**
     * Settings every process's connection pool reads before Beacon sets its own: keep two idle connections instead of
     * the whole pool (16), so that four nodes and the CLI stay well inside PostgreSQL's default 100 connections when
     * other tests share the database server. The pool still grows to its full size under load.
     */
    private static Path writePoolSettings(Path dir) {
        try {
            return Files.writeString(Files.createDirectories(dir).resolve("hikari.properties"), "minimumIdle=2\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills every node still running (SIGKILL) and drops the database. */
    @Override
    public void close() {
        for (Node node : nodes()) {
            node.kill();
        }
        Backend.dropDatabase(databaseUrl);
    }

    /** One server process; {@link #restart} starts a new process with the same name, port and arguments. */
    public final class Node {
        private final String name;
        private final int port;
        private final List<String> extraArgs;
        private final List<String> output = new CopyOnWriteArrayList<>();
        private volatile Process process;
        private volatile String url;

        Node(String name, int port, List<String> extraArgs) {
            this.name = name;
            this.port = port;
            this.extraArgs = extraArgs;
        }

        void launch() {
            Path dataDir = dir.resolve(name);
            try {
                Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<String> args = new ArrayList<>(List.of("server", "--host", "127.0.0.1", "--port", String.valueOf(port),
                    "--data-dir", dataDir.toString(), "--database-url", databaseUrl, "--node-name", name));
            args.addAll(extraArgs);
            url = null;
            output.add("--- start " + String.join(" ", args));
            java.util.concurrent.CompletableFuture<String> listening = new java.util.concurrent.CompletableFuture<>();
            try {
                process = command(args).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Process started = process;
            Thread.ofPlatform().daemon().name("node-output-" + name).start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = reader.readLine()) != null; ) {
                        output.add(line);
                        Matcher matcher = LISTENING.matcher(line);
                        if (matcher.find()) {
                            listening.complete(matcher.group(1));
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                listening.completeExceptionally(new IllegalStateException("node " + name + " exited before it listened"));
            });
            try {
                url = listening.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                started.destroyForcibly();
                throw new IllegalStateException("node " + name + " did not start:\n" + log(), e);
            }
        }

        public String name() {
            return name;
        }

        public int port() {
            return port;
        }

        /** {@code http://127.0.0.1:PORT}, as the node printed it. */
        public String url() {
            return url;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** SIGKILL, as a crash or an OOM killer would: nothing runs at exit. Waits until the process is gone. */
        public void kill() {
            Process current = process;
            if (current == null) {
                return;
            }
            current.destroyForcibly();
            try {
                current.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** SIGTERM, as {@code systemctl stop} sends; waits for the clean exit and returns its status. */
        public int stop() {
            Process current = process;
            current.destroy();
            try {
                if (!current.waitFor(60, TimeUnit.SECONDS)) {
                    current.destroyForcibly();
                    throw new IllegalStateException("node " + name + " did not stop within 60 s of SIGTERM:\n" + log());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return current.exitValue();
        }

        /** Starts this node again, on the same port with the same arguments, after it stopped or was killed. */
        public Node restart() {
            if (process.isAlive()) {
                throw new IllegalStateException("node " + name + " is still running");
            }
            launch();
            return this;
        }

        /** Everything the node printed, over all its runs. */
        public String log() {
            return String.join("\n", output);
        }

        @Override
        public String toString() {
            return name + "@" + url;
        }
    }
}
