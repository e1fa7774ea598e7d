package io.linesight.training.cli;

import io.linesight.common.CpuInfo;
import io.linesight.common.ResNet18Cost;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.model.Strategy;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"./run bench training: forward and training images/s of ResNet18 on TensorFlow Java at one batch",
                "size, for ImageNet's 224 input, the demo's model and the NEU recipe, with the ratio to this machine's",
                "FP32 limit (training counted as 3 forward passes: forward + two for the backward pass)."})
final class BenchCommand implements Callable<Integer> {
    /** One benchmarked configuration. */
    record Config(String name, int inputSize, int width, boolean cifarStem, int classes) {
    }

    static final List<Config> CONFIGS = List.of(
            new Config("ImageNet ResNet18 (224, 7x7 stem)", 224, 64, false, 1000),
            new Config("demo model (64, width 16, 7x7 stem)", 64, 16, false, 6),
            new Config("NEU recipe (96, 7x7 stem)", 96, 64, false, 6),
            new Config("part 1 figure (64, 3x3 stem)", 64, 64, true, 6));

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seconds", defaultValue = "8", description = "Measured time per figure, after warm-up (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--threads", description = "TensorFlow threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        int cores = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        // The limit of the units oneDNN may use: training JVMs cap it at AVX2 (README, "Training on AVX-512 CPUs").
        CpuInfo cpu = CpuInfo.detect().cappedAt(System.getenv("ONEDNN_MAX_CPU_ISA"));
        double peak = cpu.fp32PeakFlops();
        System.out.printf("TensorFlow Java training bench: batch %d, %d threads%nCPU %s%n", batchSize, cores, cpu.describe());
        System.out.printf("%-38s %9s %11s %9s %11s %9s%n", "configuration", "GFLOP/img", "forward/s", "x limit", "training/s", "x limit");
        for (Config config : CONFIGS) {
            ResNetSpec spec = new ResNetSpec(IntStream.range(0, config.classes()).mapToObj(Integer::toString).toList(),
                    config.inputSize(), config.width(), config.cifarStem());
            double flops = ResNet18Cost.forwardFlops(config.inputSize(), config.width(), config.cifarStem(), config.classes());
            byte[] images = new byte[batchSize * config.inputSize() * config.inputSize() * 3];
            new Random(1).nextBytes(images);
            int[] labels = IntStream.range(0, batchSize).map(i -> i % config.classes()).toArray();
            try (ResNetModel model = ResNetModel.create(spec, 1, cores)) {
                double forward = imagesPerSecond(() -> model.predict(images, batchSize));
                double training = imagesPerSecond(() -> model.trainStep(Strategy.FULL, images, labels, 0.01f, 5e-4f, 0f));
                System.out.printf("%-38s %9.2f %11.1f %9.2f %11.1f %9.2f%n", config.name(), flops / 1e9, forward,
                        forward * flops / peak, training, training * 3 * flops / peak);
            }
        }
        return 0;
    }

    /** Warm-up (graph optimisation, allocation) for two batches, then batches for the measured time. */
    private double imagesPerSecond(Runnable batch) {
        batch.run();
        batch.run();
        long start = System.nanoTime();
        int batches = 0;
        do {
            batch.run();
            batches++;
        } while (System.nanoTime() - start < seconds * 1e9);
        return batches * batchSize / ((System.nanoTime() - start) / 1e9);
    }
}
