package io.linesight.training.cli;

import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.training.ModelVersions;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.weights.TorchvisionWeights;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes a version's weights as a safetensors file in torchvision's ResNet18 names and layouts",
                "(conv OIHW, fc [out, in], BN statistics), loadable by PyTorch and by train --pretrained."})
final class ExportCommand implements Callable<Integer> {
    @Mixin
    RegistryOptions registry;

    @Option(names = "--version", description = "Version to export (default: the newest).")
    Integer version;

    @Option(names = "--out", paramLabel = "FILE", description = "Output file (default: <model>-v<version>.safetensors).")
    Path out;

    @Override
    public Integer call() throws Exception {
        RegistryOptions.Verified verified = registry.verified(version);
        int chosen = verified.version();
        Path dir = verified.dir();
        ModelManifest manifest = verified.manifest();
        Path file = out != null ? out : Path.of(registry.model + "-v" + chosen + ".safetensors");
        try (ResNetModel model = ResNetModel.loadServing(dir.resolve(ModelManifest.SERVING_DIR), ModelVersions.spec(manifest), 1)) {
            TorchvisionWeights.export(model, file, Map.of(
                    "linesight.classes", ModelRegistry.JSON.writeValueAsString(manifest.classes()),
                    "linesight.input_size", Integer.toString(manifest.inputSize()),
                    "linesight.source", registry.model + " version " + chosen));
        }
        System.out.printf("exported %s version %d (%d classes) to %s%n", registry.model, chosen, manifest.classes().size(),
                file.toAbsolutePath().normalize());
        return 0;
    }
}
