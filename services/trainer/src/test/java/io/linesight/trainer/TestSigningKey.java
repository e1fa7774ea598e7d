package io.linesight.trainer;

import io.linesight.common.registry.SigningKeys;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The trainer test's own key pair, made fresh in target/test-keys: the trainer signs with it. */
public class TestSigningKey implements QuarkusTestResourceLifecycleManager {
    static final Path SIGNING = Path.of("target/test-keys/signing-key.pem");
    static final Path TRUSTED = Path.of("target/test-keys/trusted-keys.pem");

    @Override
    public Map<String, String> start() {
        try {
            Files.deleteIfExists(SIGNING);
            Files.deleteIfExists(TRUSTED);
            SigningKeys.write(SigningKeys.generate(), SIGNING, TRUSTED);
        } catch (IOException e) {
            throw new IllegalStateException("cannot make the test signing key", e);
        }
        return Map.of("linesight.trainer.signing-key", SIGNING.toString());
    }

    @Override
    public void stop() {
        // Kept for a look after the test.
    }
}
