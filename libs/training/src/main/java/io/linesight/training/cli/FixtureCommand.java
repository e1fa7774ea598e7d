package io.linesight.training.cli;

import io.linesight.common.OperatingPoints;
import io.linesight.common.registry.ModelManifest;
import io.linesight.training.Evaluation;
import io.linesight.training.ModelVersions;
import io.linesight.common.ImageFolder;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.registry.RegistryPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fixture", mixinStandardHelpOptions = true,
        description = {"Writes test models for other modules: versions 1 and 2 are seeded (1 and 2) width-8 ResNet18s",
                "with a 32x32 CIFAR stem and 3 NEU classes; version 3 is version 1's corrupt twin (one byte of its",
                "serving weights flipped after publishing, so its checksums fail). Signed when a signing key is given.",
                "With --holdout and --good-classes, version 2 carries OK / NG / RECHECK thresholds fitted on the first",
                "images of the holdout's folders of those 3 classes. Use with --registry DIR --model fixture."})
final class FixtureCommand implements Callable<Integer> {
    static final ResNetSpec SPEC = new ResNetSpec(List.of("crazing", "inclusion", "scratches"), 32, 8, true);

    @Mixin
    RegistryOptions registry;

    @Mixin
    SigningOptions signing;

    @Mixin
    DecisionOptions decisions;

    @Option(names = "--holdout", paramLabel = "DIR", description = "Image folder with the fixture's class folders, to fit version 2's operating point on.")
    Path holdout;

    @Option(names = "--holdout-per-class", defaultValue = "20", description = "Images per class of that fit (default: ${DEFAULT-VALUE}).")
    int holdoutPerClass;

    @Override
    public Integer call() throws Exception {
        RegistryPublisher publisher = new RegistryPublisher(registry.open(), signing.keyOrNull());
        Evaluation untrained = Evaluation.fromConfusion(SPEC.classes(), new int[3][3]);
        ModelManifest.Lineage lineage = new ModelManifest.Lineage(0, List.of(), "fixture: untrained, seeded", null);
        for (int version = 1; version <= 3; version++) {
            long seed = version == 3 ? 1 : version;
            try (ResNetModel model = ResNetModel.create(SPEC, seed, 2)) {
                OperatingPoints.Target target = version == 2 && holdout != null ? decisions.targetOrNull() : null;
                Evaluation judged = target == null ? untrained : Evaluation.of(model, holdoutImages(), 64);
                ModelManifest manifest = ModelVersions.publish(publisher, registry.model, version, 0, model, judged, lineage, target);
                if (manifest.operatingPoint() != null) {
                    System.out.println("version 2 operating point: " + OperatingPoints.describe(manifest.operatingPoint()));
                }
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

    /** The first images of each fixture class's folder in the holdout, labelled in the fixture's class order. */
    private ImageSet holdoutImages() {
        ImageFolder.Split split = ImageFolder.scan(holdout, 0);
        List<ImageFolder.Item> items = new ArrayList<>();
        for (String name : SPEC.classes()) {
            int label = split.classes().indexOf(name);
            split.train().stream().filter(i -> i.label() == label).limit(holdoutPerClass)
                    .forEach(i -> items.add(new ImageFolder.Item(i.path(), i.relativePath(), SPEC.classes().indexOf(name))));
        }
        return ImageSet.load(items, SPEC.inputSize(), 2, "fixture holdout");
    }
}
