package dev.beacon.dashboard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Every file of the dashboard's asset folder, read once, each with a name that carries a hash of its content
 * ({@code beacon.css} is also {@code beacon.3f9a2c1e07.css}) and, for text, a gzip copy made in advance. A file added to
 * the folder is in the catalog with no list to update. Built once at start ({@link #fromClassPath}); immutable and
 * thread-safe.
 */
public final class AssetCatalog {
    /** Hex digits of the SHA-256 of a file's content in its hashed name: enough that two versions never share one. */
    static final int HASH_LENGTH = 10;
    private static final Pattern HASHED = Pattern.compile("^(.*)\\.([0-9a-f]{" + HASH_LENGTH + "})(\\.[^./]+)?$");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("json", "application/json"),
            Map.entry("map", "application/json"), Map.entry("svg", "image/svg+xml"), Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("png", "image/png"), Map.entry("ico", "image/x-icon"),
            Map.entry("webp", "image/webp"), Map.entry("woff2", "font/woff2"));

    /** One file: its plain name (a path under the folder, with {@code /}), content, and the gzip copy when one helps. */
    public record Asset(String name, String hash, String contentType, byte[] bytes, byte[] gzipped) {
        /** The name that carries the hash: {@code beacon.css} → {@code beacon.<hash>.css}. */
        public String hashedName() {
            int slash = name.lastIndexOf('/');
            int dot = name.lastIndexOf('.');
            return dot > slash + 1 ? name.substring(0, dot) + "." + hash + name.substring(dot) : name + "." + hash;
        }

        /** Whether a gzip copy exists: text types only, and only when it is smaller. */
        public boolean compressible() {
            return gzipped != null;
        }
    }

    /** What a request path names: the asset, and whether it was asked for under its current hashed name. */
    public record Lookup(Asset asset, Kind kind) {
    }

    /** How a request named an asset. */
    public enum Kind {
        /** {@code beacon.css}: the name without a hash. */
        PLAIN,
        /** {@code beacon.<current hash>.css}: safe to cache for ever. */
        CURRENT,
        /** {@code beacon.<other hash>.css}: an older or newer version, e.g. a page from another node during an upgrade. */
        OTHER_VERSION
    }

    private final Map<String, Asset> byName;

    private AssetCatalog(Map<String, Asset> byName) {
        this.byName = Map.copyOf(byName);
    }

    /**
     * Reads every file under {@code folder} on the class path (a directory while developing and testing, a folder of
     * the jar in production).
     */
    public static AssetCatalog fromClassPath(String folder) {
        URL url = AssetCatalog.class.getResource(folder);
        if (url == null) {
            throw new IllegalStateException(folder + " is missing from the class path");
        }
        return fromUrl(url);
    }

    /** Reads every file under {@code url}: a {@code file:} directory or a {@code jar:} folder. */
    static AssetCatalog fromUrl(URL url) {
        try {
            if (!"jar".equals(url.getProtocol())) {
                return fromDirectory(Path.of(url.toURI()));
            }
            // The jar's own index, which the class loader has read already: a zip file system over the jar would
            // read the whole index again (~20,000 entries), a tenth of a server's start for a few files.
            JarURLConnection connection = (JarURLConnection) url.openConnection();
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile()) {
                return fromJar(jar, connection.getEntryName());
            }
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot read the dashboard assets in " + url + ": " + e.getMessage(), e);
        }
    }

    /** Reads every file of {@code jar} under the folder {@code folder} (no leading slash), recursively. */
    private static AssetCatalog fromJar(JarFile jar, String folder) throws IOException {
        String prefix = folder.endsWith("/") ? folder : folder + "/";
        Map<String, Asset> assets = new TreeMap<>();
        for (JarEntry entry : jar.stream().filter(entry -> !entry.isDirectory() && entry.getName().startsWith(prefix)).toList()) {
            String name = entry.getName().substring(prefix.length());
            try (InputStream in = jar.getInputStream(entry)) {
                assets.put(name, asset(name, in.readAllBytes()));
            }
        }
        return new AssetCatalog(assets);
    }

    /** Reads every regular file under {@code root}, recursively. */
    public static AssetCatalog fromDirectory(Path root) {
        Map<String, Asset> assets = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                assets.put(name, asset(name, Files.readAllBytes(file)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard assets in " + root, e);
        }
        return new AssetCatalog(assets);
    }

    /** The asset named {@code name} (plain name); throws when there is none, so a template naming a missing file fails. */
    public Asset get(String name) {
        Asset asset = byName.get(name);
        if (asset == null) {
            throw new IllegalArgumentException("no dashboard asset named " + name + " (have " + byName.keySet() + ")");
        }
        return asset;
    }

    /** The plain names of every asset, sorted. */
    public List<String> names() {
        return byName.keySet().stream().sorted().toList();
    }

    /** What {@code path} (the part of the URL after {@code /assets/}) names, if anything. */
    public Optional<Lookup> find(String path) {
        Asset plain = byName.get(path);
        if (plain != null) {
            return Optional.of(new Lookup(plain, Kind.PLAIN));
        }
        Matcher hashed = HASHED.matcher(path);
        if (!hashed.matches()) {
            return Optional.empty();
        }
        String name = hashed.group(1) + (hashed.group(3) == null ? "" : hashed.group(3));
        Asset asset = byName.get(name);
        if (asset == null) {
            return Optional.empty();
        }
        return Optional.of(new Lookup(asset, asset.hash().equals(hashed.group(2)) ? Kind.CURRENT : Kind.OTHER_VERSION));
    }

    private static Asset asset(String name, byte[] bytes) {
        String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        String type = TYPES.getOrDefault(extension, "application/octet-stream");
        boolean text = type.startsWith("text/") || type.startsWith("application/json") || type.startsWith("image/svg");
        byte[] gzipped = text ? gzip(bytes) : null;
        return new Asset(name, sha256(bytes).substring(0, HASH_LENGTH), type, bytes,
                gzipped != null && gzipped.length < bytes.length ? gzipped : null);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen in memory
        }
        return out.toByteArray();
    }
}
