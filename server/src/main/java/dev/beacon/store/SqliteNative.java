package dev.beacon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sqlite-jdbc's native library, kept extracted in the directory the launcher names in the system property
 * {@value #CACHE_DIR_PROPERTY} (beside the server's AOT cache). Left to itself, sqlite-jdbc finds its library anew in
 * every process: it runs {@code uname -o} as a child process, copies the library out of the jar into the temporary
 * directory and reads it back to compare, about 150 ms of a 1.3 s start on one core, and it cannot start where the
 * temporary directory is mounted {@code noexec}. With the property set, the first process extracts the library once
 * (named after the sqlite-jdbc version, so an upgrade extracts its own) and every later one loads it from there.
 * Without the property, or when the cached file will not load, sqlite-jdbc does what it always does.
 */
final class SqliteNative {
    static final String CACHE_DIR_PROPERTY = "beacon.cache.dir";
    private static final Logger log = LoggerFactory.getLogger(SqliteNative.class);
    private static final String PREFIX = "sqlite-jdbc-";

    private SqliteNative() {
    }

    /**
     * Points sqlite-jdbc at the cached library when {@value #CACHE_DIR_PROPERTY} names a directory, extracting it
     * there first if needed. Does nothing when the operator chose a library ({@code org.sqlite.lib.path}) or
     * sqlite-jdbc has loaded one already; a cache that cannot be written only costs the speed.
     */
    static void useCache() {
        String dir = System.getProperty(CACHE_DIR_PROPERTY);
        if (dir == null || dir.isBlank() || System.getProperty("org.sqlite.lib.path") != null) {
            return;
        }
        try {
            // Only the directory: under its own name, a library that will not load sends sqlite-jdbc on to the jar's.
            cached(Path.of(dir)).ifPresent(library -> System.setProperty("org.sqlite.lib.path", library.getParent().toAbsolutePath().toString()));
        } catch (IOException | UncheckedIOException | SecurityException e) {
            log.debug("sqlite's native library is not cached in {}; it loads from the jar", dir, e);
        }
    }

    /**
     * The library for this sqlite-jdbc version and this platform, {@code dir/sqlite-jdbc-VERSION/NAME}, extracted from
     * the jar when missing (written under a temporary name, then renamed, so that a process starting meanwhile never
     * loads half a file), and other versions' directories removed. Empty when the jar holds no library for this platform.
     */
    static Optional<Path> cached(Path dir) throws IOException {
        String name = LibraryLoaderUtil.getNativeLibName();
        Path versionDir = dir.resolve(PREFIX + SQLiteJDBCLoader.getVersion());
        Path library = versionDir.resolve(name);
        if (Files.isRegularFile(library)) {
            return Optional.of(library);
        }
        // Only here, once per version: finding the resource runs sqlite-jdbc's platform detection (the uname above).
        try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name)) {
            if (in == null) {
                return Optional.empty();
            }
            Files.createDirectories(versionDir);
            Path partial = Files.createTempFile(versionDir, ".partial-", ".tmp");
            try {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                try {
                    Files.move(partial, library, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(partial, library, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        removeOthers(dir, versionDir.getFileName().toString());
        return Optional.of(library);
    }

    /** Removes other versions' libraries; one a running process has loaded stays mapped (or, on Windows, in place). */
    private static void removeOthers(Path dir, String keep) throws IOException {
        try (DirectoryStream<Path> versions = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path version : versions) {
                if (version.getFileName().toString().equals(keep) || !Files.isDirectory(version)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(version)) {
                    for (Path file : files) {
                        Files.deleteIfExists(file);
                    }
                    Files.deleteIfExists(version);
                } catch (IOException e) {
                    log.debug("could not remove {}", version, e);
                }
            }
        }
    }
}
