package io.linesight.common.registry;

import io.linesight.common.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 keys that sign registry manifests, in PEM. A setting holds either the PEM text itself (an environment
 * variable or a Kubernetes secret) or the path of a PEM file. The signing key's PEM carries its PUBLIC KEY block too, so
 * a signature names the key that made it.
 */
public final class SigningKeys {
    public static final String ALGORITHM = "Ed25519";
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";

    private SigningKeys() {
    }

    /** A private key and the public key that verifies it. */
    public record SigningKey(PrivateKey privateKey, PublicKey publicKey) {
        public String id() {
            return keyId(publicKey);
        }
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM + " (Java 15+ ships it)", e);
        }
    }

    /** Writes the signing key (owner-only) and the public key classifiers trust; refuses to overwrite either. */
    public static void write(KeyPair pair, Path signingKeyFile, Path publicKeyFile) throws IOException {
        if (Files.exists(signingKeyFile) || Files.exists(publicKeyFile)) {
            throw new IOException("refusing to overwrite " + (Files.exists(signingKeyFile) ? signingKeyFile : publicKeyFile));
        }
        String publicPem = pem(PUBLIC, pair.getPublic().getEncoded());
        Path parent = signingKeyFile.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.writeString(signingKeyFile, pem(PRIVATE, pair.getPrivate().getEncoded()) + publicPem, StandardCharsets.US_ASCII);
        if (Files.getFileStore(parent).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(signingKeyFile, PosixFilePermissions.fromString("rw-------"));
        }
        Files.createDirectories(publicKeyFile.toAbsolutePath().getParent());
        Files.writeString(publicKeyFile, publicPem, StandardCharsets.US_ASCII);
    }

    /** The signing key of a setting: PEM text, or the path of a PEM file, with a PRIVATE KEY and a PUBLIC KEY block. */
    public static SigningKey signingKey(String setting) throws IOException {
        List<byte[]> privates = blocks(setting, PRIVATE);
        List<byte[]> publics = blocks(setting, PUBLIC);
        if (privates.size() != 1 || publics.size() != 1) {
            throw new IOException("a signing key needs one PRIVATE KEY and one PUBLIC KEY PEM block (./run keys writes one);"
                    + " found " + privates.size() + " and " + publics.size());
        }
        SigningKey key;
        try {
            KeyFactory keys = KeyFactory.getInstance(ALGORITHM);
            key = new SigningKey(keys.generatePrivate(new PKCS8EncodedKeySpec(privates.get(0))),
                    keys.generatePublic(new X509EncodedKeySpec(publics.get(0))));
        } catch (GeneralSecurityException e) {
            throw new IOException("not an " + ALGORITHM + " signing key: " + e.getMessage(), e);
        }
        if (!pairs(key)) {
            // A mismatched pair would sign every version under another key's id: refused at start, not at every classifier.
            throw new IOException("the signing key's PRIVATE KEY and PUBLIC KEY blocks are not one pair");
        }
        return key;
    }

    private static boolean pairs(SigningKey key) {
        byte[] probe = "linesight signing key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(ALGORITHM);
            signer.initSign(key.privateKey());
            signer.update(probe);
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(key.publicKey());
            verifier.update(probe);
            return verifier.verify(signer.sign());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The public keys of a setting (PEM text or file, one or more PUBLIC KEY blocks); none is an error. */
    public static List<PublicKey> trustedKeys(String setting) throws IOException {
        List<PublicKey> trusted = new ArrayList<>();
        try {
            KeyFactory keys = KeyFactory.getInstance(ALGORITHM);
            for (byte[] encoded : blocks(setting, PUBLIC)) {
                trusted.add(keys.generatePublic(new X509EncodedKeySpec(encoded)));
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("not an " + ALGORITHM + " public key: " + e.getMessage(), e);
        }
        if (trusted.isEmpty()) {
            throw new IOException("no PUBLIC KEY PEM block in the trusted keys");
        }
        return List.copyOf(trusted);
    }

    /** First 16 hex digits of the SHA-256 of the public key's encoding: what logs and signatures name a key by. */
    public static String keyId(PublicKey key) {
        return HexFormat.of().formatHex(Sha256.digest(key.getEncoded())).substring(0, 16);
    }

    private static List<byte[]> blocks(String setting, String type) throws IOException {
        String text = setting.strip();
        if (!text.startsWith("-----BEGIN")) {
            Path file = Path.of(text);
            if (!Files.isRegularFile(file)) {
                throw new IOException("key setting is neither PEM text nor a readable file: " + file.toAbsolutePath());
            }
            text = Files.readString(file, StandardCharsets.US_ASCII);
        }
        List<byte[]> found = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                found.add(Base64.getMimeDecoder().decode(m.group(2)));
            }
        }
        return found;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
