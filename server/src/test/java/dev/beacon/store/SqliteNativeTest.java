package dev.beacon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

class SqliteNativeTest {
    @TempDir
    Path cache;
    @TempDir
    Path tmp;

    @Test
    void extracts_this_platforms_library_once_and_removes_other_versions() throws IOException {
        Path older = Files.createDirectories(cache.resolve("sqlite-jdbc-3.0.0.0"));
        Files.writeString(older.resolve(LibraryLoaderUtil.getNativeLibName()), "an older version's library");
        Path unrelated = Files.writeString(cache.resolve("beacon-server.aot"), "not ours to remove");

        Path library = SqliteNative.cached(cache).orElseThrow();

        assertThat(library).isEqualTo(cache.resolve("sqlite-jdbc-" + SQLiteJDBCLoader.getVersion()).resolve(LibraryLoaderUtil.getNativeLibName()));
        try (InputStream resource = SQLiteJDBCLoader.class.getResourceAsStream(
                LibraryLoaderUtil.getNativeLibResourcePath() + "/" + LibraryLoaderUtil.getNativeLibName())) {
            assertThat(resource).as("the jar's library for this platform").isNotNull();
            assertThat(Files.readAllBytes(library)).isEqualTo(resource.readAllBytes());
        }
        assertThat(older).doesNotExist();
        assertThat(unrelated).exists();
        try (Stream<Path> files = Files.list(cache)) {
            assertThat(files).containsExactlyInAnyOrder(library.getParent(), unrelated);
        }
        try (Stream<Path> files = Files.list(library.getParent())) {
            assertThat(files).as("no partial file left behind").containsExactly(library);
        }

        FileTime written = FileTime.from(Instant.now().minusSeconds(600));
        Files.setLastModifiedTime(library, written);
        assertThat(SqliteNative.cached(cache)).contains(library);
        assertThat(Files.getLastModifiedTime(library)).as("not written again").isEqualTo(written);
    }

    @Test
    void a_process_given_the_cache_loads_sqlite_from_it_and_extracts_nothing_into_the_temporary_directory() throws Exception {
        for (int run = 1; run <= 2; run++) {
            List<String> output = probe("-Dbeacon.cache.dir=" + cache);
            assertThat(output).as("run %d", run).contains("lib=" + cache.toAbsolutePath().resolve("sqlite-jdbc-" + SQLiteJDBCLoader.getVersion())).anyMatch(line -> line.startsWith("sqlite=3."));
            try (Stream<Path> files = Files.list(tmp)) {
                assertThat(files).as("sqlite-jdbc's own extraction, run %d", run).isEmpty();
            }
        }
    }

    @Test
    void a_damaged_cached_library_only_costs_the_speed() throws Exception {
        Path versionDir = Files.createDirectories(cache.resolve("sqlite-jdbc-" + SQLiteJDBCLoader.getVersion()));
        Files.writeString(versionDir.resolve(LibraryLoaderUtil.getNativeLibName()), "not a shared library");

        List<String> output = probe("-Dbeacon.cache.dir=" + cache);

        assertThat(output).anyMatch(line -> line.startsWith("sqlite=3."));
    }

    @Test
    void without_the_property_sqlite_jdbc_loads_its_library_as_it_always_did() throws Exception {
        List<String> output = probe();

        assertThat(output).contains("lib=null").anyMatch(line -> line.startsWith("sqlite=3."));
        try (Stream<Path> files = Files.list(cache)) {
            assertThat(files).isEmpty();
        }
    }

    /** Runs {@link SqliteNativeProbe} in a JVM of its own, with sqlite-jdbc's temporary directory under the test's. */
    private List<String> probe(String... jvmOptions) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED", "-Dorg.sqlite.tmpdir=" + tmp));
        command.addAll(List.of(jvmOptions));
        command.add(SqliteNativeProbe.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.lines().toList();
    }
}
