package io.linesight.training.cli;

import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ModelVerificationException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Lists a model's versions with parent, input, holdout figures and whether their checksums verify.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    RegistryOptions registry;

    @Override
    public Integer call() throws Exception {
        ModelRegistry models = registry.open();
        System.out.printf("%-8s %-7s %-6s %-6s %-9s %-13s %-20s %s%n", "version", "parent", "input", "width",
                "accuracy", "macro-recall", "created", "checksums");
        for (int version : models.versions(registry.model)) {
            String verified;
            ModelManifest manifest;
            try {
                manifest = ModelRegistry.verify(models.versionDir(registry.model, version));
                verified = "ok";
            } catch (ModelVerificationException e) {
                manifest = models.manifest(registry.model, version);
                verified = "FAILED: " + e.getMessage();
            }
            System.out.printf("%-8d %-7s %-6d %-6d %-9.4f %-13.4f %-20s %s%n", version,
                    manifest.parentVersion() == 0 ? "-" : Integer.toString(manifest.parentVersion()), manifest.inputSize(),
                    manifest.architecture().width(), manifest.holdoutMetrics().getOrDefault("accuracy", Double.NaN),
                    manifest.holdoutMetrics().getOrDefault("macro_recall", Double.NaN),
                    Instant.ofEpochMilli(manifest.createdAtMs()).toString().substring(0, 19), verified);
        }
        return 0;
    }
}
