package io.linesight.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The signing key pair of a test, the demo or the fault suite, as the files the services' settings name. */
public record SigningKeyFiles(Path signingKey, Path trustedKeys) {

    /** The pair in {@code dir}, made on first use by the training CLI's keys command. */
    public static SigningKeyFiles in(Path dir) throws IOException, InterruptedException {
        Path absolute = dir.toAbsolutePath();
        SigningKeyFiles files = new SigningKeyFiles(absolute.resolve("signing-key.pem"), absolute.resolve("trusted-keys.pem"));
        if (!Files.exists(files.signingKey())) {
            Files.deleteIfExists(files.trustedKeys());
            ServiceProcess.trainingCli("keys", "--out", absolute.toString());
        }
        return files;
    }

    /** The environment of the trainer (and the CLI's promote) and of the classifier. */
    public Map<String, String> env() {
        return Map.of("LINESIGHT_TRAINER_SIGNING_KEY", signingKey.toString(), "LINESIGHT_CLASSIFIER_TRUSTED_KEYS", trustedKeys.toString());
    }
}
