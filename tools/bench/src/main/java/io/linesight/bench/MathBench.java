package io.linesight.bench;

import io.linesight.common.CpuInfo;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ./run bench math VERSION_DIR DATA_DIR [BATCH]}: a trained registry version in FP32 and in oneDNN's bf16 math
 * (MathModes), on the validation split of the data it was trained on: rates, top-1 agreement and each mode's accuracy.
 */
public final class MathBench {
    private MathBench() {
    }

    /** WORK VERSION_DIR DATA_DIR [BATCH]: ./run passes its work folder first. */
    public static void main(String[] args) throws Exception {
        boolean help = args.length > 1 && (args[1].equals("--help") || args[1].equals("-h"));
        if (args.length < 3 || help) {
            System.out.println("Usage: ./run bench math VERSION_DIR DATA_DIR [BATCH]\n  VERSION_DIR a registry version (e.g. registry/neu/1),"
                    + " DATA_DIR the data it was trained on (its validation split: the hash of each path, 20 %), BATCH 16 by default");
            System.exit(help ? 0 : 2);
        }
        Path work = Files.createDirectories(Path.of(args[0]));
        Path version = Path.of(args[1]);
        Path data = Path.of(args[2]);
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        ModelManifest manifest = ModelRegistry.verify(version);
        CpuInfo cpu = CpuInfo.detect();
        System.out.printf("%s version %d (%d classes, %d px) on %s%nCPU %s%n", manifest.modelName(), manifest.version(),
                manifest.classes().size(), manifest.inputSize(), data, cpu.describe());
        System.out.println(MathModes.compare(version.resolve(ModelManifest.SERVING_DIR), manifest.inputSize(), batch, work, cpu, data,
                manifest.classes()));
    }
}
