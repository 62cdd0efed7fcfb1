package dev.beacon.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TokenFormatTest {
    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void a_minted_secret_is_prefix_64_hex_and_its_crc32(TokenKind kind) {
        Secret secret = TokenFormat.generate(kind);
        assertThat(secret.value()).matches(kind.prefix() + "_[0-9a-f]{72}");
        String body = secret.value().substring(0, secret.value().length() - 8);
        CRC32 crc = new CRC32();
        crc.update(body.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(secret.value()).endsWith(String.format("%08x", crc.getValue()));
        assertThat(TokenFormat.parse(kind, secret.value())).isInstanceOf(TokenFormat.Parsed.Valid.class);
    }

    @Test
    void truncated_mistyped_foreign_and_uppercase_secrets_are_malformed_with_a_reason() {
        String value = TokenFormat.generate(TokenKind.ENROLLMENT).value();
        assertThat(reason(value.substring(0, 40))).contains("truncated");
        assertThat(reason(value + "0")).contains("too long");
        char flipped = value.charAt(15) == '0' ? '1' : '0';
        assertThat(reason(value.substring(0, 15) + flipped + value.substring(16))).contains("checksum");
        assertThat(reason(value.toUpperCase().replace("RF_ENROLL_", "rf_enroll_"))).contains("lower-case hex");
        assertThat(reason(TokenFormat.generate(TokenKind.ROBOT).value())).contains("does not start with rf_enroll_");
        assertThat(reason("  ")).contains("empty");
    }

    @Test
    void whitespace_around_a_pasted_key_is_forgiven() {
        String value = TokenFormat.generate(TokenKind.API_KEY).value();
        assertThat(TokenFormat.parse(TokenKind.API_KEY, "  " + value + "\n")).isInstanceOf(TokenFormat.Parsed.Valid.class);
    }

    @Test
    void a_secret_prints_only_its_masked_prefix() {
        Secret secret = TokenFormat.generate(TokenKind.ROBOT);
        assertThat(secret.toString()).isEqualTo(secret.value().substring(0, "rf_robot_".length() + 6) + "…");
        assertThat(String.valueOf(secret)).doesNotContain(secret.value().substring(20));
    }

    private static String reason(String text) {
        return ((TokenFormat.Parsed.Malformed) TokenFormat.parse(TokenKind.ENROLLMENT, text)).reason();
    }
}
