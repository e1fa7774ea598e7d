package io.linesight.training.cli;

import io.linesight.common.registry.SigningKeys;
import java.io.IOException;
import picocli.CommandLine.Option;

/** The key that signs what a command publishes or promotes: the trainer's own setting. */
final class SigningOptions {
    @Option(names = "--signing-key", paramLabel = "PEM|FILE", defaultValue = "${env:LINESIGHT_TRAINER_SIGNING_KEY}",
            description = "Ed25519 signing key, PEM text or file (default: $LINESIGHT_TRAINER_SIGNING_KEY, the trainer's setting;"
                    + " ./run keys makes one).")
    String signingKey;

    /** The configured key, or null when none is. */
    SigningKeys.SigningKey keyOrNull() throws IOException {
        return signingKey == null || signingKey.isBlank() ? null : SigningKeys.signingKey(signingKey);
    }
}
