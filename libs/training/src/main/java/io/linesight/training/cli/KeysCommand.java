package io.linesight.training.cli;

import io.linesight.common.registry.SigningKeys;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Makes an Ed25519 key pair for signing model versions: DIR/signing-key.pem (the trainer's, owner-only)",
                "and DIR/trusted-keys.pem (the classifiers'). Refuses to overwrite existing keys."})
final class KeysCommand implements Callable<Integer> {
    static final String SIGNING_KEY_FILE = "signing-key.pem";
    static final String TRUSTED_KEYS_FILE = "trusted-keys.pem";

    @Option(names = "--out", defaultValue = ".keys", paramLabel = "DIR", description = "Folder to write the pair into (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path signing = out.resolve(SIGNING_KEY_FILE).toAbsolutePath();
        Path trusted = out.resolve(TRUSTED_KEYS_FILE).toAbsolutePath();
        var pair = SigningKeys.generate();
        SigningKeys.write(pair, signing, trusted);
        System.out.printf("key %s%n  export LINESIGHT_TRAINER_SIGNING_KEY=%s%n  export LINESIGHT_CLASSIFIER_TRUSTED_KEYS=%s%n",
                SigningKeys.keyId(pair.getPublic()), signing, trusted);
        return 0;
    }
}
