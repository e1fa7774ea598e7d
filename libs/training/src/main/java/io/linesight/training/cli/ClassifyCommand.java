package io.linesight.training.cli;

import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.SigningKeys;
import io.linesight.training.ModelVersions;
import io.linesight.common.ImageFolder;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.weights.SafeTensors;
import io.linesight.training.weights.TorchvisionWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the top classes of each image: from a registry version, or straight from a safetensors",
                "file with its own class names (e.g. ImageNet weights with 1,000 classes kept).",
                "Example: ./run classify --pretrained resnet18.safetensors \\",
                "           --imagenet-labels ../shared/data/imagenet-labels/imagenet_classes.txt photo.jpg"})
final class ClassifyCommand implements Callable<Integer> {
    @Mixin
    RegistryOptions registry;

    @ArgGroup(exclusive = false)
    Pretrained pretrained;

    static final class Pretrained {
        @Option(names = "--pretrained", required = true, paramLabel = "FILE", description = "Weights in torchvision names (safetensors).")
        Path weights;

        @Option(names = "--imagenet-labels", required = true, paramLabel = "FILE",
                description = "Class names, one per line in output order (imagenet_classes.txt for ImageNet weights).")
        Path labels;

        @Option(names = "--input-size", defaultValue = "224", description = "Square input size (default: ${DEFAULT-VALUE}).")
        int inputSize;
    }

    @Option(names = "--version", description = "Registry version to use without --pretrained (default: the newest).")
    Integer version;

    @Option(names = "--trusted-keys", paramLabel = "PEM|FILE", defaultValue = "${env:LINESIGHT_CLASSIFIER_TRUSTED_KEYS}",
            description = "Public keys a registry version must be signed by, PEM text or file (default:"
                    + " $LINESIGHT_CLASSIFIER_TRUSTED_KEYS, the classifiers' setting).")
    String trustedKeys;

    @Option(names = "--top", defaultValue = "5", description = "Classes shown per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG or PNG files.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        try (ResNetModel model = pretrained != null ? fromWeights(threads) : fromRegistry(threads)) {
            List<String> classes = model.spec().classes();
            List<ImageFolder.Item> items = images.stream().map(p -> new ImageFolder.Item(p, p.toString(), 0)).toList();
            ImageSet set = ImageSet.load(items, model.spec().inputSize(), threads, "images");
            set.failures().forEach(f -> System.out.println("skipped: " + f));
            int n = classes.size();
            for (int i = 0; i < set.size(); i++) {
                float[] probabilities = model.predict(set.pixels(i), 1).probabilities();
                List<Integer> best = IntStream.range(0, n).boxed()
                        .sorted(Comparator.comparingDouble(c -> -probabilities[c])).limit(Math.min(top, n)).toList();
                List<String> shown = new ArrayList<>();
                for (int rank = 0; rank < best.size(); rank++) {
                    shown.add(String.format("%d. %s %.4f", rank + 1, classes.get(best.get(rank)), probabilities[best.get(rank)]));
                }
                System.out.println(set.name(i) + ": " + String.join("  ", shown));
            }
        }
        return 0;
    }

    private ResNetModel fromWeights(int threads) throws Exception {
        Map<String, SafeTensors.Tensor> weights = SafeTensors.read(pretrained.weights);
        List<String> names = Files.readAllLines(pretrained.labels).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        int fileClasses = TorchvisionWeights.fileClasses(weights);
        if (names.size() != fileClasses) {
            throw new IllegalArgumentException(pretrained.weights + " predicts " + fileClasses + " classes but "
                    + pretrained.labels + " names " + names.size());
        }
        ResNetSpec spec = TorchvisionWeights.specFor(weights, names, pretrained.inputSize);
        ResNetModel model = ResNetModel.create(spec, 0, threads);
        try {
            TorchvisionWeights.importInto(model, weights);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private ResNetModel fromRegistry(int threads) throws Exception {
        if (trustedKeys == null || trustedKeys.isBlank()) {
            throw new IllegalArgumentException("a registry version runs only when its signature verifies: give --trusted-keys"
                    + " or $LINESIGHT_CLASSIFIER_TRUSTED_KEYS");
        }
        RegistryOptions.Verified verified = registry.verified(version);
        String key = ManifestSignature.verify(verified.dir(), SigningKeys.trustedKeys(trustedKeys));
        System.out.printf("%s version %d, signed by key %s%n", registry.model, verified.version(), key);
        return ResNetModel.loadServing(verified.dir().resolve(ModelManifest.SERVING_DIR), ModelVersions.spec(verified.manifest()), threads);
    }
}
