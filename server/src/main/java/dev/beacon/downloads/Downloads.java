package dev.beacon.downloads;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The directory of agent artifacts the server hands out ({@code beacon-agent_<version>_all.deb},
 * {@code beacon-agent-<version>.tar.gz}, {@code beacon-agent.jar}): lists its plain files with their SHA-256, and
 * resolves a requested name, including the stable aliases {@code beacon-agent_latest_all.deb} and
 * {@code beacon-agent-latest.tar.gz} (the highest version present). Only plain file names directly in the directory
 * are ever served: no path separators, no dot files, no symbolic links out of it. Digests are computed once per file
 * version (path, size, modification time) and cached. Thread-safe.
 */
public final class Downloads {
    /** Where the server package installs the agent artifacts. */
    static final Path PACKAGED = Path.of("/usr/share/beacon/downloads");
    static final String LATEST_DEB = "beacon-agent_latest_all.deb";
    static final String LATEST_TARBALL = "beacon-agent-latest.tar.gz";
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]{0,200}");
    private static final Pattern DEB = Pattern.compile("beacon-agent_(.+)_all\\.deb");
    private static final Pattern TARBALL = Pattern.compile("beacon-agent-(\\d.*)\\.tar\\.gz");

    /** One servable file: its name in the directory, size, modification time and SHA-256 (lowercase hex). */
    public record Artifact(String name, Path path, long size, Instant modified, String sha256) {
    }

    private record Version(long size, Instant modified) {
    }

    private record Digest(Version version, String sha256) {
    }

    private final Path directory;
    private final Map<Path, Digest> digests = new ConcurrentHashMap<>();

    public Downloads(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    /**
     * The default directory when {@code --downloads-dir} is not given: the server package's
     * {@code /usr/share/beacon/downloads} when it exists, else {@code downloads} beside the running jar when that
     * exists, else {@code target/downloads} of the source checkout the jar was built in (the jar runs from
     * {@code target/} or from the launcher's private copy under {@code target/run/<hash>/}), else {@code downloads}
     * beside the jar, which then answers 404 with a hint.
     */
    public static Path defaultDirectory() {
        return defaultDirectory(PACKAGED, runningJarDirectory());
    }

    /** {@link #defaultDirectory()} for a given packaged directory and directory of the running jar (empty: not a jar). */
    static Path defaultDirectory(Path packaged, Optional<Path> jarDir) {
        if (Files.isDirectory(packaged)) {
            return packaged;
        }
        if (jarDir.isEmpty()) {
            return Path.of("target", "downloads").toAbsolutePath(); // classes run from a checkout (tests, IDE)
        }
        Path beside = jarDir.get().resolve("downloads");
        if (Files.isDirectory(beside)) {
            return beside;
        }
        for (Path dir = jarDir.get(); dir != null; dir = dir.getParent()) {
            if (dir.getFileName() != null && dir.getFileName().toString().equals("target")) {
                return dir.resolve("downloads");
            }
        }
        return beside;
    }

    private static Optional<Path> runningJarDirectory() {
        try {
            var source = Downloads.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path location = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(location) ? Optional.ofNullable(location.toAbsolutePath().getParent()) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }

    public Path directory() {
        return directory;
    }

    /** Every servable file, by name. Empty when the directory does not exist. */
    public List<Artifact> list() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Artifact> artifacts = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                artifact(file.getFileName().toString()).ifPresent(artifacts::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        return artifacts;
    }

    /**
     * The file a request names, or empty when there is none: an unsafe name (separators, dot files, traversal), a
     * missing file, a directory or a link never resolves. The aliases resolve to the highest version present.
     */
    public Optional<Artifact> find(String name) {
        if (LATEST_DEB.equals(name)) {
            return latest(DEB);
        }
        if (LATEST_TARBALL.equals(name)) {
            return latest(TARBALL);
        }
        return artifact(name);
    }

    /** The agent .deb the install script installs: the highest version present. */
    public Optional<Artifact> agentDeb() {
        return latest(DEB);
    }

    private Optional<Artifact> latest(Pattern pattern) {
        return list().stream().filter(artifact -> pattern.matcher(artifact.name()).matches())
                .max(Comparator.comparing(artifact -> versionOf(pattern, artifact.name()), Downloads::compareVersions));
    }

    private Optional<Artifact> artifact(String name) {
        if (name == null || !SAFE_NAME.matcher(name).matches() || name.contains("..")) {
            return Optional.empty();
        }
        Path file = directory.resolve(name);
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile() || !file.getParent().equals(directory)) {
                return Optional.empty();
            }
            Version version = new Version(attributes.size(), attributes.lastModifiedTime().toInstant());
            Digest digest = digests.get(file);
            if (digest == null || !digest.version().equals(version)) {
                digest = new Digest(version, sha256(file));
                digests.put(file, digest);
            }
            return Optional.of(new Artifact(name, file, version.size(), version.modified(), digest.sha256()));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String versionOf(Pattern pattern, String name) {
        Matcher matcher = pattern.matcher(name);
        return matcher.matches() ? matcher.group(1) : "";
    }

    /** Compares versions like {@code 0.1.0} and {@code 0.10.0~rc1} by their numeric and text runs, numbers as numbers. */
    static int compareVersions(String left, String right) {
        String[] a = left.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        String[] b = right.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            boolean numbers = a[i].chars().allMatch(Character::isDigit) && b[i].chars().allMatch(Character::isDigit);
            int order = numbers ? new java.math.BigInteger(a[i]).compareTo(new java.math.BigInteger(b[i])) : a[i].compareTo(b[i]);
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(a.length, b.length);
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
