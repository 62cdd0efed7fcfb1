package dev.beacon.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds an in-memory key store from a PEM certificate chain and a PEM PKCS#8 private key, for {@code --tls-cert/--tls-key}. */
final class PemKeyStore {
    private static final Pattern PRIVATE_KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----");

    private PemKeyStore() {
    }

    static KeyStore load(Path certFile, Path keyFile, char[] password) {
        try {
            List<? extends Certificate> chain;
            try (var in = Files.newInputStream(certFile)) {
                chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("no certificate found in " + certFile);
            }
            String keyPem = Files.readString(keyFile, StandardCharsets.US_ASCII);
            Matcher matcher = PRIVATE_KEY.matcher(keyPem);
            if (!matcher.find()) {
                throw new IllegalArgumentException(keyFile + " holds no '-----BEGIN PRIVATE KEY-----' block; convert it with "
                        + "`openssl pkcs8 -topk8 -nocrypt -in OLD -out " + keyFile.getFileName() + "`");
            }
            byte[] der = Base64.getMimeDecoder().decode(matcher.group(1));
            PrivateKey key = privateKey(der, keyFile);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("beacon", key, password, chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load TLS certificate " + certFile + " and key " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(byte[] der, Path keyFile) {
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException tryNext) {
                // the PKCS#8 envelope names the algorithm, but KeyFactory wants it named up front
            }
        }
        throw new IllegalArgumentException(keyFile + " is not an RSA, EC or Ed25519 private key");
    }

}
