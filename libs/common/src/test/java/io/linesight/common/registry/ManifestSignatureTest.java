package io.linesight.common.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestSignatureTest {
    private static final byte[] MANIFEST = "{\"version\":3,\"files\":[{\"path\":\"serving/saved_model.pb\",\"sha256\":\"ab\"}]}"
            .getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void aSignatureVerifiesUnderItsPublicKeyAndNamesIt() throws Exception {
        SigningKeys.SigningKey key = writtenKey("a");
        byte[] sig = ManifestSignature.signatureFile(MANIFEST, key);
        List<PublicKey> trusted = SigningKeys.trustedKeys(dir.resolve("a.pub").toString());
        assertEquals(key.id(), ManifestSignature.verify(MANIFEST, sig, trusted));
    }

    @Test
    void oneChangedByteOfTheManifestIsRefused() throws Exception {
        SigningKeys.SigningKey key = writtenKey("a");
        byte[] sig = ManifestSignature.signatureFile(MANIFEST, key);
        byte[] tampered = MANIFEST.clone();
        tampered[tampered.length - 5] ^= 1;
        ModelVerificationException e = assertThrows(ModelVerificationException.class,
                () -> ManifestSignature.verify(tampered, sig, List.of(key.publicKey())));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    @Test
    void aKeyThatIsNotTrustedIsRefusedEvenWhenItsSignatureIsValid() throws Exception {
        SigningKeys.SigningKey forger = writtenKey("forger");
        SigningKeys.SigningKey trusted = writtenKey("trusted");
        byte[] sig = ManifestSignature.signatureFile(MANIFEST, forger);
        ModelVerificationException e = assertThrows(ModelVerificationException.class,
                () -> ManifestSignature.verify(MANIFEST, sig, List.of(trusted.publicKey())));
        assertTrue(e.getMessage().contains("not trusted"), e.getMessage());
    }

    @Test
    void aSignatureClaimingTheTrustedKeyIdButMadeByAnotherKeyIsRefused() throws Exception {
        SigningKeys.SigningKey forger = writtenKey("forger");
        SigningKeys.SigningKey trusted = writtenKey("trusted");
        byte[] forged = ManifestSignature.signatureFile(MANIFEST, new SigningKeys.SigningKey(forger.privateKey(), trusted.publicKey()));
        assertThrows(ModelVerificationException.class, () -> ManifestSignature.verify(MANIFEST, forged, List.of(trusted.publicKey())));
    }

    @Test
    void garbageAndOtherAlgorithmsAreRefusedWithAReason() {
        assertThrows(ModelVerificationException.class,
                () -> ManifestSignature.verify(MANIFEST, "not json".getBytes(StandardCharsets.UTF_8), List.of()));
        byte[] rsa = "{\"algorithm\":\"RSA\",\"keyId\":\"x\",\"signature\":\"AA==\"}".getBytes(StandardCharsets.UTF_8);
        ModelVerificationException e = assertThrows(ModelVerificationException.class, () -> ManifestSignature.verify(MANIFEST, rsa, List.of()));
        assertTrue(e.getMessage().contains("only Ed25519"), e.getMessage());
    }

    @Test
    void aSigningKeyWhosePublicBlockIsAnotherKeysIsRefusedAtLoad() throws Exception {
        writtenKey("a");
        writtenKey("b");
        String mixed = Files.readString(dir.resolve("a.pem")).replaceAll("(?s)-----BEGIN PUBLIC KEY-----.*", "")
                + Files.readString(dir.resolve("b.pub"));
        IOException e = assertThrows(IOException.class, () -> SigningKeys.signingKey(mixed));
        assertTrue(e.getMessage().contains("not one pair"), e.getMessage());
    }

    @Test
    void keysAreReadFromPemTextAsFromAFileAndNeverOverwritten() throws Exception {
        SigningKeys.SigningKey fromFile = writtenKey("a");
        assertEquals(fromFile.id(), SigningKeys.signingKey(Files.readString(dir.resolve("a.pem"))).id());
        assertEquals(fromFile.id(), SigningKeys.keyId(SigningKeys.trustedKeys(Files.readString(dir.resolve("a.pub"))).get(0)));
        assertThrows(IOException.class, () -> SigningKeys.write(SigningKeys.generate(), dir.resolve("a.pem"), dir.resolve("other.pub")));
        assertThrows(IOException.class, () -> SigningKeys.trustedKeys(dir.resolve("missing.pub").toString()));
    }

    @Test
    void aVersionFolderSignedInPlaceVerifiesAndAnUnsignedOneDoesNot() throws Exception {
        SigningKeys.SigningKey key = writtenKey("a");
        Path version = Files.createDirectories(dir.resolve("v3"));
        Files.write(version.resolve(ModelManifest.FILE_NAME), MANIFEST);
        assertThrows(ModelVerificationException.class, () -> ManifestSignature.verify(version, List.of(key.publicKey())));
        ManifestSignature.sign(version, key);
        assertEquals(key.id(), ManifestSignature.verify(version, List.of(key.publicKey())));
    }

    private SigningKeys.SigningKey writtenKey(String name) throws IOException {
        KeyPair pair = SigningKeys.generate();
        SigningKeys.write(pair, dir.resolve(name + ".pem"), dir.resolve(name + ".pub"));
        return SigningKeys.signingKey(dir.resolve(name + ".pem").toString());
    }
}
