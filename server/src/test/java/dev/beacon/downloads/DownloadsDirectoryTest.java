package dev.beacon.downloads;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the server looks for the agent artifacts when {@code --downloads-dir} is not given. */
class DownloadsDirectoryTest {
    @TempDir
    Path root;

    @Test
    void the_server_packages_directory_comes_first() throws Exception {
        Path packaged = Files.createDirectories(root.resolve("usr/share/beacon/downloads"));
        Path jarDir = Files.createDirectories(root.resolve("opt/beacon"));
        Files.createDirectories(jarDir.resolve("downloads"));

        assertThat(Downloads.defaultDirectory(packaged, Optional.of(jarDir))).isEqualTo(packaged);
    }

    @Test
    void then_a_downloads_directory_beside_the_jar() throws Exception {
        Path jarDir = Files.createDirectories(root.resolve("opt/beacon"));
        Path beside = Files.createDirectories(jarDir.resolve("downloads"));

        assertThat(Downloads.defaultDirectory(root.resolve("missing"), Optional.of(jarDir))).isEqualTo(beside);
    }

    @Test
    void the_launchers_private_copy_finds_the_checkouts_target_downloads() throws Exception {
        Path copy = Files.createDirectories(root.resolve("checkout/target/run/0123456789abcdef"));

        assertThat(Downloads.defaultDirectory(root.resolve("missing"), Optional.of(copy)))
                .isEqualTo(root.resolve("checkout/target/downloads"));
        assertThat(Downloads.defaultDirectory(root.resolve("missing"), Optional.of(root.resolve("checkout/target"))))
                .isEqualTo(root.resolve("checkout/target/downloads"));
    }

    @Test
    void a_jar_elsewhere_looks_beside_itself() throws Exception {
        Path jarDir = Files.createDirectories(root.resolve("opt/beacon"));

        assertThat(Downloads.defaultDirectory(root.resolve("missing"), Optional.of(jarDir))).isEqualTo(jarDir.resolve("downloads"));
    }

    @Test
    void versions_compare_by_their_numbers() {
        assertThat(Downloads.compareVersions("0.10.0", "0.9.0")).isPositive();
        assertThat(Downloads.compareVersions("0.1.0", "0.1.0")).isZero();
        assertThat(Downloads.compareVersions("1.2", "1.2.1")).isNegative();
    }
}
