package io.linesight.training.cli;

import io.linesight.common.OperatingPoints;
import io.linesight.common.TemperatureScaling;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.training.Evaluation;
import io.linesight.training.ModelVersions;
import io.linesight.common.ImageFolder;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluates a version's serving model (what the classifier runs) on an image folder and prints",
                "accuracy, per-class precision/recall, macro-recall and the confusion matrix as JSON; with an operating",
                "point, what its OK / NG / RECHECK decisions do on these images."})
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    RegistryOptions registry;

    @Option(names = "--version", description = "Version to evaluate (default: the newest).")
    Integer version;

    @Option(names = "--data", required = true, description = "Image folder with the model's class folders.")
    Path data;

    @Option(names = "--split", defaultValue = "validation", description = "validation (the hash-held-out share, or val/test folder) or all (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--val-fraction", defaultValue = "0.2", description = "Held-out share, as used for training (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Override
    public Integer call() throws Exception {
        RegistryOptions.Verified verified = registry.verified(version);
        int chosen = verified.version();
        Path dir = verified.dir();
        ModelManifest manifest = verified.manifest();
        ImageFolder.Split folders = ImageFolder.scan(data, validationFraction);
        if (!folders.classes().equals(manifest.classes())) {
            throw new IllegalArgumentException("version " + chosen + " has classes " + manifest.classes() + " but "
                    + data + " has " + folders.classes());
        }
        List<ImageFolder.Item> items = switch (split) {
            case "validation" -> folders.validation();
            case "all" -> Stream.concat(folders.train().stream(), folders.validation().stream()).toList();
            default -> throw new IllegalArgumentException("--split must be validation or all, got " + split);
        };
        int threads = Runtime.getRuntime().availableProcessors();
        ImageSet set = ImageSet.load(items, manifest.inputSize(), threads, split + " images");
        try (ResNetModel model = ResNetModel.loadServing(dir.resolve(ModelManifest.SERVING_DIR), ModelVersions.spec(manifest), threads)) {
            Evaluation evaluation = Evaluation.of(model, set, 64);
            System.out.println(ModelRegistry.JSON.writeValueAsString(evaluation));
            double temperature = ModelManifest.Calibration.temperatureOf(manifest);
            TemperatureScaling.Fit refit = evaluation.calibration();
            System.err.printf("calibration: expected calibration error %.4f raw, %.4f at the version's temperature %.3f"
                    + " (refitted on these images: T %.3f, %.4f)%n", refit.eceBefore(), TemperatureScaling.ece(evaluation.probabilities(),
                    evaluation.labels(), manifest.classes().size(), temperature), temperature, refit.temperature(), refit.eceAfter());
            ModelManifest.OperatingPoint point = manifest.operatingPoint();
            if (point != null) {
                OperatingPoints.Observed seen = evaluation.decisions(temperature, point);
                System.err.printf("decisions on these images: escape rate %.4f (%d of %d defects; the version states %.4f, %.0f %%"
                        + " upper bound %.4f, target %.4f), false rejects %.4f (%d of %d goods), RECHECK %.4f of %d%n",
                        seen.escapeRate(), seen.escapes(), seen.defects(), point.escapeRate(), point.confidence() * 100,
                        point.escapeUpperBound(), point.escapeTarget(), seen.falseRejectRate(), seen.falseRejects(), seen.goods(),
                        seen.recheckShare(), seen.parts());
            }
        }
        return 0;
    }
}
