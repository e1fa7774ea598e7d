package io.linesight.bench;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import io.linesight.common.CpuInfo;
import io.linesight.common.DecodeBudget;
import io.linesight.common.ImageFolder;
import io.linesight.common.ImageFormat;
import io.linesight.common.ImageRejectedException;
import io.linesight.common.Images;
import io.linesight.common.ServingSignature;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * FP32 against oneDNN's bf16 math mode ({@code TF_SET_ONEDNN_FPMATH_MODE=BF16}, which TensorFlow reads once at start,
 * so each mode runs in a JVM of its own, one after the other): the bare model's rate at one batch size, and how far
 * the answers move on the same real frames: 128 NEU frames, or a labelled data set's validation split (hash of each
 * path, as {@code ./run train} holds it out), decoded and resized by the shared path ({@code Images}), where the
 * accuracy of each mode is counted too.
 */
final class MathModes {
    /** TensorFlow's own setting: the classifier takes it from its environment like this bench's child does. */
    static final String MODE_VARIABLE = "TF_SET_ONEDNN_FPMATH_MODE";
    private static final int FRAMES = 128;
    /** {@code ./run train --val-fraction}'s default. */
    private static final double VALIDATION_FRACTION = 0.2;

    private record Run(double rate, float[][] probabilities) {
    }

    private MathModes() {
    }

    /** The child: SERVING_DIR SIZE BATCH OUT [DATA_DIR]. Prints "rate X" and writes the frames' probabilities to OUT. */
    public static void main(String[] args) throws Exception {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.tensorflow.num_intraop_threads", Integer.toString(CpuInfo.detect().cores()));
        Path serving = Path.of(args[0]);
        int size = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(serving)
                .optEngine("TensorFlow").optOption("Tags", ServingSignature.TAG).optOption("SignatureDefKey", ServingSignature.KEY)
                .optTranslator(new NoopTranslator()).build();
        List<byte[]> frames = args.length > 4 ? validation(Path.of(args[4])).stream().map(item -> rgb(item, size)).toList()
                : BenchFrames.neu(FRAMES).stream().map(jpeg -> rgb(jpeg, size)).toList();
        try (ZooModel<NDList, NDList> model = criteria.loadModel(); Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager(); DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[3])))) {
            byte[] pixels = new byte[batch * size * size * 3];
            for (int i = 0; i < batch; i++) {
                System.arraycopy(frames.get(i % frames.size()), 0, pixels, i * size * size * 3, size * size * 3);
            }
            NDList input = new NDList(manager.create(ByteBuffer.wrap(pixels), new Shape(batch, size, size, 3), DataType.UINT8));
            System.out.printf(Locale.ROOT, "rate %.3f%n", ClassifierBench.imagesPerSecond(predictor, input, batch, Duration.ofSeconds(5)));
            out.writeInt(frames.size());
            for (byte[] frame : frames) {
                NDList one = new NDList(manager.create(ByteBuffer.wrap(frame), new Shape(1, size, size, 3), DataType.UINT8));
                try (NDList outputs = predictor.predict(one)) {
                    float[] probabilities = outputs.get(ServingSignature.outputIndex(ServingSignature.PROBABILITIES, outputs.size())).toFloatArray();
                    out.writeInt(probabilities.length);
                    for (float p : probabilities) {
                        out.writeFloat(p);
                    }
                }
                one.close();
            }
        }
    }

    /**
     * Runs FP32 then bf16 in child JVMs with the same model, batch and frames; the line the bench prints. On a CPU
     * without bf16 units oneDNN would only emulate it, so nothing is run there.
     */
    static String compare(Path serving, int size, int batch, Path work, CpuInfo cpu) throws Exception {
        return compare(serving, size, batch, work, cpu, null, null);
    }

    /**
     * The same on {@code data}'s validation split, whose folders name the model's {@code classes}: also the accuracy
     * of each mode.
     */
    static String compare(Path serving, int size, int batch, Path work, CpuInfo cpu, Path data, List<String> classes) throws Exception {
        if (cpu.bf16FlopPerCycle() == 0) {
            return "bf16 math: not measured (this CPU has no bf16 units: " + cpu.isa() + ")";
        }
        Run fp32 = child(serving, size, batch, work, null, data);
        Run bf16 = child(serving, size, batch, work, "BF16", data);
        int agree = 0;
        double maxDiff = 0;
        double sumDiff = 0;
        int values = 0;
        for (int i = 0; i < fp32.probabilities().length; i++) {
            float[] a = fp32.probabilities()[i];
            float[] b = bf16.probabilities()[i];
            agree += argmax(a) == argmax(b) ? 1 : 0;
            for (int c = 0; c < a.length; c++) {
                double diff = Math.abs(a[c] - b[c]);
                maxDiff = Math.max(maxDiff, diff);
                sumDiff += diff;
                values++;
            }
        }
        String line = String.format(Locale.ROOT, "bf16 math (%s=BF16, %s): batch %d %.1f img/s vs FP32 %.1f img/s in the same conditions = %.2f x;"
                + " %d of %d real frames (%.2f %%) keep their top class, probabilities move by %.4f on average, %.4f at most",
                MODE_VARIABLE, cpu.bf16FlopPerCycle() >= 1024 ? "AMX" : "AVX512-BF16", batch, bf16.rate(), fp32.rate(),
                bf16.rate() / fp32.rate(), agree, fp32.probabilities().length, 100.0 * agree / fp32.probabilities().length,
                sumDiff / values, maxDiff);
        if (data == null) {
            return line + " (these weights are untrained: accuracy under bf16 is not measured here)";
        }
        List<ImageFolder.Item> items = validation(data);
        List<String> folders = ImageFolder.scan(data, VALIDATION_FRACTION).classes();
        if (!classes.containsAll(folders) || items.size() != fp32.probabilities().length) {
            throw new IllegalArgumentException(data + " does not fit the model: classes " + folders + " vs " + classes + ", "
                    + items.size() + " images vs " + fp32.probabilities().length + " answers");
        }
        int fp32Right = 0;
        int bf16Right = 0;
        for (int i = 0; i < items.size(); i++) {
            int truth = classes.indexOf(folders.get(items.get(i).label()));
            fp32Right += argmax(fp32.probabilities()[i]) == truth ? 1 : 0;
            bf16Right += argmax(bf16.probabilities()[i]) == truth ? 1 : 0;
        }
        return line + String.format(Locale.ROOT, "; accuracy on %s's validation split: FP32 %.4f, bf16 %.4f", data.getFileName(),
                fp32Right / (double) items.size(), bf16Right / (double) items.size());
    }

    /** The validation split as {@code ./run train} holds it out by default (the same hash of each relative path). */
    private static List<ImageFolder.Item> validation(Path data) {
        List<ImageFolder.Item> items = ImageFolder.scan(data, VALIDATION_FRACTION).validation();
        if (items.isEmpty()) {
            throw new IllegalArgumentException(data + " has no validation images (the hash of each path, " + VALIDATION_FRACTION + ")");
        }
        return items;
    }

    private static Run child(Path serving, int size, int batch, Path work, String mode, Path data) throws Exception {
        Path out = work.resolve("math-" + (mode == null ? "fp32" : mode.toLowerCase(Locale.ROOT)) + ".bin");
        Path log = work.resolve("math-" + (mode == null ? "fp32" : mode.toLowerCase(Locale.ROOT)) + ".log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), MathModes.class.getName(), serving.toString(), Integer.toString(size),
                Integer.toString(batch), out.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        if (data != null) {
            builder.command().add(data.toString());
        }
        builder.environment().remove(MODE_VARIABLE);
        builder.environment().remove("ONEDNN_MAX_CPU_ISA"); // the classifier runs uncapped: so does what stands for it
        if (mode != null) {
            builder.environment().put(MODE_VARIABLE, mode);
        }
        builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        if (builder.start().waitFor() != 0) {
            throw new IllegalStateException("the " + (mode == null ? "FP32" : mode) + " child failed; see " + log);
        }
        double rate = Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("rate ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(5))).orElseThrow(() -> new IllegalStateException("no rate in " + log));
        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            float[][] probabilities = new float[in.readInt()][];
            for (int i = 0; i < probabilities.length; i++) {
                probabilities[i] = new float[in.readInt()];
                for (int c = 0; c < probabilities[i].length; c++) {
                    probabilities[i][c] = in.readFloat();
                }
            }
            return new Run(rate, probabilities);
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }

    /** A data set's image as size x size RGB bytes, decoded by its content and resized as training and serving do. */
    private static byte[] rgb(ImageFolder.Item item, int size) {
        try {
            byte[] encoded = Files.readAllBytes(item.path());
            ImageFormat format = ImageFormat.ofContent(encoded)
                    .orElseThrow(() -> new IllegalArgumentException(item.path() + " is not an image this stack decodes"));
            return Images.decode(encoded, format, DecodeBudget.defaults(), null, image -> Images.toRgb(image, size));
        } catch (IOException | ImageRejectedException e) {
            throw new IllegalStateException("cannot read " + item.path() + ": " + e.getMessage(), e);
        }
    }

    /** A JPEG as size x size RGB bytes, resized as the bench's frames are (bilinear). */
    private static byte[] rgb(byte[] jpeg, int size) {
        BufferedImage scaled = BenchFrames.scaled(jpeg, size, size, BufferedImage.TYPE_INT_RGB);
        byte[] pixels = new byte[size * size * 3];
        for (int y = 0, i = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = scaled.getRGB(x, y);
                pixels[i++] = (byte) (rgb >> 16);
                pixels[i++] = (byte) (rgb >> 8);
                pixels[i++] = (byte) rgb;
            }
        }
        return pixels;
    }
}
