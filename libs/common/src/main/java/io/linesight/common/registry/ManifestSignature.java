package io.linesight.common.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

/**
 * manifest.sig beside a version's manifest.json: an Ed25519 signature over the manifest's exact bytes. The manifest
 * lists every file with its SHA-256, so a verified signature vouches for the whole version.
 */
public final class ManifestSignature {
    public static final String FILE_NAME = "manifest.sig";

    private ManifestSignature() {
    }

    /** The JSON of manifest.sig. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Envelope(String algorithm, String keyId, String signature) {
    }

    /** Signs the version folder's manifest.json into manifest.sig, replacing any earlier signature atomically. */
    public static void sign(Path versionDir, SigningKeys.SigningKey key) throws IOException {
        byte[] manifest = Files.readAllBytes(versionDir.resolve(ModelManifest.FILE_NAME));
        Path temp = versionDir.resolve("." + FILE_NAME + ".tmp");
        Files.write(temp, signatureFile(manifest, key));
        Files.move(temp, versionDir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static byte[] signatureFile(byte[] manifest, SigningKeys.SigningKey key) {
        try {
            Signature signer = Signature.getInstance(SigningKeys.ALGORITHM);
            signer.initSign(key.privateKey());
            signer.update(manifest);
            return ModelRegistry.JSON.writeValueAsBytes(new Envelope(SigningKeys.ALGORITHM, key.id(),
                    Base64.getEncoder().encodeToString(signer.sign())));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot sign with key " + key.id(), e);
        }
    }

    /**
     * The id of the trusted key that signed these manifest bytes.
     *
     * @throws ModelVerificationException when the signature is unreadable, from an untrusted key, or does not verify
     */
    public static String verify(byte[] manifest, byte[] signatureFile, List<PublicKey> trusted) throws ModelVerificationException {
        Envelope envelope;
        byte[] signature;
        try {
            envelope = ModelRegistry.JSON.readValue(signatureFile, Envelope.class);
            signature = Base64.getDecoder().decode(envelope.signature() == null ? "" : envelope.signature());
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelVerificationException("unreadable " + FILE_NAME + ": " + e.getMessage());
        }
        if (!SigningKeys.ALGORITHM.equals(envelope.algorithm())) {
            throw new ModelVerificationException(FILE_NAME + " uses " + envelope.algorithm() + ", only " + SigningKeys.ALGORITHM + " is accepted");
        }
        PublicKey key = trusted.stream().filter(k -> SigningKeys.keyId(k).equals(envelope.keyId())).findFirst()
                .orElseThrow(() -> new ModelVerificationException("signed by key " + envelope.keyId() + ", which is not trusted (trusted: "
                        + trusted.stream().map(SigningKeys::keyId).toList() + ")"));
        try {
            Signature verifier = Signature.getInstance(SigningKeys.ALGORITHM);
            verifier.initVerify(key);
            verifier.update(manifest);
            if (!verifier.verify(signature)) {
                throw new ModelVerificationException("the signature of key " + envelope.keyId() + " does not match the manifest");
            }
        } catch (GeneralSecurityException e) {
            throw new ModelVerificationException("cannot verify the signature of key " + envelope.keyId() + ": " + e.getMessage());
        }
        return envelope.keyId();
    }

    /** Verifies a local version folder's manifest.sig against its manifest.json. */
    public static String verify(Path versionDir, List<PublicKey> trusted) throws ModelVerificationException {
        try {
            Path sig = versionDir.resolve(FILE_NAME);
            if (!Files.isRegularFile(sig)) {
                throw new ModelVerificationException("version folder " + versionDir + " is unsigned (no " + FILE_NAME + ")");
            }
            return verify(Files.readAllBytes(versionDir.resolve(ModelManifest.FILE_NAME)), Files.readAllBytes(sig), trusted);
        } catch (IOException e) {
            throw new ModelVerificationException("unreadable manifest or signature in " + versionDir + ": " + e.getMessage());
        }
    }
}
