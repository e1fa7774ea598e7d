package io.linesight.training.cli;

import io.linesight.common.Defaults;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ModelVerificationException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Which registry and model a command works on. */
final class RegistryOptions {
    @Option(names = "--registry", defaultValue = "${env:LINESIGHT_REGISTRY_DIR:-registry}",
            description = "Model registry folder (default: $LINESIGHT_REGISTRY_DIR, the trainer's setting, or ./registry).")
    Path registry;

    @Option(names = "--model", defaultValue = "${env:LINESIGHT_MODEL_NAME:-" + Defaults.MODEL_NAME + "}",
            description = "Model name: one per deployment (default: $LINESIGHT_MODEL_NAME, the services' setting, or "
                    + Defaults.MODEL_NAME + ").")
    String model;

    ModelRegistry open() {
        return new ModelRegistry(registry.toAbsolutePath().normalize());
    }

    /** The given version, or the newest when null; fails clearly when there is none. */
    int resolve(Integer version) throws IOException {
        List<Integer> versions = open().versions(model);
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("model " + model + " has no versions in " + registry.toAbsolutePath());
        }
        if (version == null) {
            return versions.get(versions.size() - 1);
        }
        if (!versions.contains(version)) {
            throw new IllegalArgumentException("model " + model + " has no version " + version + "; it has " + versions);
        }
        return version;
    }

    /** A version's folder and manifest, checksums verified. */
    record Verified(int version, Path dir, ModelManifest manifest) {
    }

    /** The given version (newest when null), verified before anything reads it. */
    Verified verified(Integer version) throws IOException, ModelVerificationException {
        int chosen = resolve(version);
        Path dir = open().versionDir(model, chosen);
        return new Verified(chosen, dir, ModelRegistry.verify(dir));
    }

    ModelManifest manifest(int version) throws IOException {
        return open().manifest(model, version);
    }
}
