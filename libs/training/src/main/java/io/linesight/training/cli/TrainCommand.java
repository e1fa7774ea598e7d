package io.linesight.training.cli;

import io.linesight.common.OperatingPoints;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.training.Evaluation;
import io.linesight.training.LearningRateSchedule;
import io.linesight.training.ModelVersions;
import io.linesight.training.TrainingLoop;
import io.linesight.training.data.Augmentation;
import io.linesight.common.ImageFolder;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.model.Strategy;
import io.linesight.training.registry.RegistryPublisher;
import io.linesight.training.report.TrainingReport;
import io.linesight.training.weights.SafeTensors;
import io.linesight.training.weights.TorchvisionWeights;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains ResNet18 on an image folder and publishes the result as the next registry version.",
                "Data layouts: DIR/<class>/*, DIR/train + DIR/val, or DIR/train + DIR/test. Without a val/test folder",
                "a fixed share (--val-fraction) is held out by a hash of each file's path. Each run writes a report",
                "folder (curves, confusion matrix, conv1 filters, misclassified images, index.html).",
                "Example: ./run train --data ../shared/data/neu-surface --epochs 10 --input-size 64"})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    RegistryOptions registry;

    @Mixin
    SigningOptions signing;

    @Mixin
    DecisionOptions decisions;

    @Option(names = "--data", required = true, description = "Image folder to train on.")
    Path data;

    @Option(names = "--epochs", defaultValue = "10", description = "Passes over the training set; 0 publishes the initial weights (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--input-size", defaultValue = "64", description = "Square input size in pixels (default: ${DEFAULT-VALUE}; 224 = ImageNet).")
    int inputSize;

    @Option(names = "--width", defaultValue = "64", description = "Base width: 64 is torchvision's ResNet18 (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--stem", defaultValue = "auto", description = "cifar (3x3/1, no max-pool), imagenet (7x7/2 + max-pool) or auto: cifar up to 64 px (default: ${DEFAULT-VALUE}).")
    String stem;

    @Option(names = "--strategy", defaultValue = "full", description = "What may change: head, last-stage or full (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--from", paramLabel = "VERSION", description = "Fine-tune this version's training export instead of starting from scratch.")
    Integer fromVersion;

    @Option(names = "--pretrained", paramLabel = "FILE", description = {"Start from ResNet18 weights in a safetensors file with torchvision/timm names",
            "(e.g. ImageNet weights): width and stem come from the file; fc is replaced when its class count differs."})
    Path pretrained;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--schedule", defaultValue = "cosine", description = "Learning-rate schedule: cosine, step or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--warmup-epochs", defaultValue = "1", description = "Epochs of linear warm-up from lr/10 (default: ${DEFAULT-VALUE}).")
    int warmupEpochs;

    @Option(names = "--weight-decay", defaultValue = "5e-4", description = "L2 weight decay on conv/fc weights (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Clip each step's global gradient norm to this; 0 = off (default: ${DEFAULT-VALUE}).")
    float clipNorm;

    @Option(names = "--patience", defaultValue = "0", description = "Stop after this many epochs without a better validation macro-recall; 0 = off (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--last-epoch", description = "Publish the last epoch's weights instead of the best validation epoch's.")
    boolean lastEpoch;

    @Option(names = "--report", paramLabel = "DIR", description = "Report folder (default: reports/<model>-v<version> in the working directory).")
    Path reportDir;

    @Option(names = "--no-report", description = "Write no report folder.")
    boolean noReport;

    @Option(names = "--val-fraction", defaultValue = "0.2", description = "Share held out when there is no val/test folder (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--limit-per-class", description = "Use at most this many training images per class (quick runs).")
    Integer limitPerClass;

    @Option(names = "--no-balance", description = "Sample uniformly instead of equally per class.")
    boolean noBalance;

    @Option(names = "--augment", defaultValue = "shift-flip", description = {"shift-flip: shifts and left-right mirror; dihedral: also the other",
            "flips and quarter turns; surface: also brightness and contrast jitter (default: ${DEFAULT-VALUE})."})
    String augment;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of initial weights, sampling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "TensorFlow and decoding threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        int cores = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        ImageFolder.Split split = ImageFolder.scan(data, validationFraction);
        List<ImageFolder.Item> trainItems = limitPerClass == null ? split.train() : limit(split.train(), limitPerClass);
        System.out.printf("data: %s (%s), %d classes %s, %d train / %d validation images%n", data, split.layout(),
                split.classes().size(), split.classes(), trainItems.size(), split.validation().size());
        if (!split.skipped().isEmpty()) {
            System.out.printf("warning: skipped %d files that are not images, e.g. %s%n", split.skipped().size(), split.skipped().get(0));
        }

        ModelRegistry models = registry.open();
        ResNetSpec spec;
        int parent = 0;
        Map<String, SafeTensors.Tensor> pretrainedWeights = null;
        if (fromVersion != null && pretrained != null) {
            throw new IllegalArgumentException("--from and --pretrained both choose the starting weights: give one");
        }
        if (fromVersion != null) {
            parent = registry.resolve(fromVersion);
            spec = ModelVersions.spec(ModelRegistry.verify(models.versionDir(registry.model, parent)));
            if (!spec.classes().equals(split.classes())) {
                throw new IllegalArgumentException("version " + parent + " has classes " + spec.classes()
                        + " but " + data + " has " + split.classes());
            }
        } else if (pretrained != null) {
            pretrainedWeights = SafeTensors.read(pretrained);
            spec = TorchvisionWeights.specFor(pretrainedWeights, split.classes(), inputSize);
        } else {
            boolean cifarStem = switch (stem) {
                case "cifar" -> true;
                case "imagenet" -> false;
                case "auto" -> inputSize <= 64;
                default -> throw new IllegalArgumentException("--stem must be auto, cifar or imagenet, got " + stem);
            };
            spec = new ResNetSpec(split.classes(), inputSize, width, cifarStem);
        }

        ImageSet train = ImageSet.load(trainItems, spec.inputSize(), cores, "train images");
        ImageSet validation = ImageSet.load(split.validation(), spec.inputSize(), cores, "validation images");
        reportFailures(train);
        reportFailures(validation);

        Strategy chosen = Strategy.fromCli(strategy);
        long start = System.nanoTime();
        try (ResNetModel model = parent == 0 ? ResNetModel.create(spec, seed, cores)
                : ResNetModel.loadTraining(models.versionDir(registry.model, parent).resolve(ModelManifest.TRAINING_DIR), spec, cores)) {
            String origin = parent != 0 ? "fine-tuning version " + parent : "from scratch (seed " + seed + ")";
            if (pretrainedWeights != null) {
                TorchvisionWeights.ImportReport imported = TorchvisionWeights.importInto(model, pretrainedWeights);
                origin = String.format("from %s (%d tensors%s)", pretrained, imported.loaded(), imported.headReplaced()
                        ? ", fc replaced: " + imported.fileClasses() + " -> " + spec.numClasses() + " classes" : "");
            }
            String description = String.format("ResNet18 width %d, %s stem, %dx%d input, strategy %s", spec.width(),
                    spec.cifarStem() ? "cifar" : "imagenet", spec.inputSize(), spec.inputSize(), chosen.cliName());
            System.out.println("model: " + description + ", " + origin);
            long stepsPerEpoch = Math.max(1, (train.size() + batchSize - 1) / batchSize);
            LearningRateSchedule rates = new LearningRateSchedule(LearningRateSchedule.Kind.fromCli(schedule), learningRate,
                    Math.min(warmupEpochs, Math.max(0, epochs - 1)) * stepsPerEpoch);
            TrainingLoop.Run run = new TrainingLoop(System.out).train(model, train, validation, new TrainingLoop.Options(chosen, epochs,
                    batchSize, rates, weightDecay, clipNorm, !noBalance, Augmentation.fromCli(augment), seed, patience, !lastEpoch));
            Evaluation holdout = Evaluation.of(model, validation, 64);
            RegistryPublisher publisher = new RegistryPublisher(models, signing.keyOrNull());
            int version = publisher.nextVersion(registry.model);
            ModelManifest manifest = ModelVersions.publish(publisher, registry.model, version, parent, model, holdout,
                    new ModelManifest.Lineage(train.size(), List.of(), data.toAbsolutePath().normalize().toString(), null),
                    decisions.targetOrNull());
            double wallSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("published %s version %d in %s: validation accuracy %.4f, macro-recall %.4f, %.1f min%n",
                    registry.model, manifest.version(), models.versionDir(registry.model, version), holdout.accuracy(),
                    holdout.macroRecall(), wallSeconds / 60);
            if (manifest.calibration() != null) {
                System.out.printf("calibration: temperature %.3f on %d validation images, expected calibration error %.4f -> %.4f%n",
                        manifest.calibration().temperature(), manifest.calibration().fittedOn(), manifest.calibration().eceBefore(),
                        manifest.calibration().eceAfter());
            }
            if (manifest.operatingPoint() != null) {
                System.out.println("operating point on the validation set: " + OperatingPoints.describe(manifest.operatingPoint()));
            }
            System.out.println("evaluation: " + models.versionDir(registry.model, version).resolve(ModelVersions.EVALUATION_FILE));
            if (!noReport) {
                Path reportFolder = reportDir != null ? reportDir : Path.of("reports", registry.model + "-v" + version);
                Map<String, Object> settings = new LinkedHashMap<>();
                settings.put("strategy", chosen.cliName());
                settings.put("epochs", epochs);
                settings.put("batchSize", batchSize);
                settings.put("learningRate", learningRate);
                settings.put("schedule", schedule);
                settings.put("warmupEpochs", warmupEpochs);
                settings.put("weightDecay", weightDecay);
                settings.put("clipNorm", clipNorm);
                settings.put("patience", patience);
                settings.put("augment", augment);
                settings.put("seed", seed);
                settings.put("origin", origin);
                settings.put("version", version);
                Path index = TrainingReport.write(reportFolder, new TrainingReport.Summary(data.toString(), description, settings,
                        wallSeconds), run, holdout, validation, model);
                System.out.println("report: " + index.toAbsolutePath().normalize());
            }
        }
        return 0;
    }

    private static List<ImageFolder.Item> limit(List<ImageFolder.Item> items, int perClass) {
        Map<Integer, Integer> taken = new HashMap<>();
        return items.stream().filter(i -> taken.merge(i.label(), 1, Integer::sum) <= perClass).toList();
    }

    private static void reportFailures(ImageSet set) {
        if (!set.failures().isEmpty()) {
            System.out.printf("warning: skipped %d unreadable images, e.g. %s%n", set.failures().size(), set.failures().get(0));
        }
    }
}
