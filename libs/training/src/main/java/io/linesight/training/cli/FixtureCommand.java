package io.linesight.training.cli;

import io.linesight.common.registry.ModelManifest;
import io.linesight.training.Evaluation;
import io.linesight.training.ModelVersions;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.registry.RegistryPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "fixture", mixinStandardHelpOptions = true,
        description = {"Writes test models for other modules: versions 1 and 2 are seeded (1 and 2) width-8 ResNet18s",
                "with a 32x32 CIFAR stem and 3 NEU classes; version 3 is version 1's corrupt twin (one byte of its",
                "serving weights flipped after publishing, so its checksums fail). Signed when a signing key is given.",
                "Use with --registry DIR --model fixture."})
final class FixtureCommand implements Callable<Integer> {
    static final ResNetSpec SPEC = new ResNetSpec(List.of("crazing", "inclusion", "scratches"), 32, 8, true);

    @Mixin
    RegistryOptions registry;

    @Mixin
    SigningOptions signing;

    @Override
    public Integer call() throws Exception {
        RegistryPublisher publisher = new RegistryPublisher(registry.open(), signing.keyOrNull());
        Evaluation untrained = Evaluation.fromConfusion(SPEC.classes(), new int[3][3]);
        ModelManifest.Lineage lineage = new ModelManifest.Lineage(0, List.of(), "fixture: untrained, seeded", null);
        for (int version = 1; version <= 3; version++) {
            long seed = version == 3 ? 1 : version;
            try (ResNetModel model = ResNetModel.create(SPEC, seed, 2)) {
                ModelVersions.publish(publisher, registry.model, version, 0, model, untrained, lineage, null);
            }
        }
        Path weights = registry.open().versionDir(registry.model, 3).resolve("serving/variables/variables.data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(weights, bytes);
        System.out.printf("fixture %s: versions 1, 2 (good) and 3 (corrupt twin of 1) in %s%n", registry.model,
                registry.open().root().resolve(registry.model));
        return 0;
    }
}
