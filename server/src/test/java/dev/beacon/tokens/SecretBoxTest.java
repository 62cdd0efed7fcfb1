package dev.beacon.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {
    @TempDir
    Path dataDir;

    @Test
    void the_first_start_creates_a_0600_secret_and_later_starts_reuse_it() throws Exception {
        SecretBox first = SecretBox.load(null, dataDir);
        Path file = dataDir.resolve(SecretBox.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String sealed = first.seal("rf_enroll_secret", "ek_1");
        assertThat(sealed).startsWith("v1:").doesNotContain("rf_enroll_secret");
        assertThat(SecretBox.load(null, dataDir).open(sealed, "ek_1")).isEqualTo("rf_enroll_secret");
    }

    @Test
    void a_ciphertext_moved_to_another_row_or_read_with_another_secret_does_not_open() {
        SecretBox box = SecretBox.load(null, dataDir);
        String sealed = box.seal("value", "ek_1");
        assertThatThrownBy(() -> box.open(sealed, "ek_2")).hasMessageContaining("cannot decrypt");
        SecretBox other = SecretBox.load("00".repeat(32), dataDir);
        assertThatThrownBy(() -> other.open(sealed, "ek_1")).hasMessageContaining("server secret");
    }

    @Test
    void a_malformed_environment_secret_is_refused_with_how_to_make_one() {
        assertThatThrownBy(() -> SecretBox.load("not-hex", dataDir)).hasMessageContaining("openssl rand -hex 32");
    }
}
