package dev.beacon.tokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts values at rest (raw enrollment keys) with AES-256-GCM under the server secret. The
 * ciphertext is {@code v1:<base64(nonce | ciphertext+tag)>}; the associated data binds it to the row
 * it belongs to, so a ciphertext copied onto another row will not decrypt. Thread-safe.
 */
public final class SecretBox {
    static final String FILE_NAME = "secret.key";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    SecretBox(byte[] keyBytes) {
        if (keyBytes.length != 32) {
            throw new IllegalArgumentException("the server secret must be 32 bytes (64 hex digits); got " + keyBytes.length + " bytes");
        }
        this.key = new SecretKeySpec(keyBytes, "AES");
    }

    /**
     * The server secret from {@code BEACON_SECRET_KEY} (64 hex digits) when given, else from
     * {@code dataDir/secret.key}, which is created with mode 0600 on first start.
     */
    public static SecretBox load(String secretFromEnv, Path dataDir) {
        if (secretFromEnv != null && !secretFromEnv.isBlank()) {
            try {
                return new SecretBox(HexFormat.of().parseHex(secretFromEnv.strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("BEACON_SECRET_KEY must be 64 hex digits (generate one with `openssl rand -hex 32`)", e);
            }
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                createSecretFile(dataDir, file);
            }
            return new SecretBox(HexFormat.of().parseHex(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the server secret " + file, e);
        }
    }

    private static void createSecretFile(Path dataDir, Path file) throws IOException {
        Files.createDirectories(dataDir);
        byte[] fresh = new byte[32];
        RANDOM.nextBytes(fresh);
        Path temp = Files.createTempFile(dataDir, ".secret", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, HexFormat.of().formatHex(fresh) + "\n", StandardCharsets.US_ASCII);
        try {
            // Two servers starting at once on one data dir must not end with different secrets:
            // the move fails if the file appeared meanwhile, and we then use the one that won.
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
            Files.deleteIfExists(temp);
            if (!Files.exists(file)) {
                throw raced;
            }
        }
    }

    /**
     * Identifies this secret without revealing it: HMAC-SHA256 under the secret of a fixed label, as 64 hex digits.
     * Nodes that share a database compare it to refuse a mismatched key at start.
     */
    public String fingerprint() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal("beacon secret key fingerprint v1".getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is available on every JDK", e);
        }
    }

    /** Encrypts {@code plaintext} bound to {@code context} (e.g. the row id). */
    public String seal(String plaintext, String context) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return "v1:" + Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is available on every JDK", e);
        }
    }

    /** Decrypts what {@link #seal} produced for the same {@code context}; fails if the secret or context differ. */
    public String open(String sealed, String context) {
        if (!sealed.startsWith("v1:")) {
            throw new IllegalArgumentException("unknown ciphertext version");
        }
        byte[] bytes = Base64.getDecoder().decode(sealed.substring(3));
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot decrypt a stored secret: was the server secret (secret.key or BEACON_SECRET_KEY) changed?", e);
        }
    }
}
