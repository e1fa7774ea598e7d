package io.linesight.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.ServingSignature;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

class ResNetModelTest {
    private static final ResNetSpec TINY = new ResNetSpec(List.of("a", "b", "c"), 32, 8, true);

    @Test
    void fullWidthResNet18HasTorchvisionsParameterCount() {
        List<String> classes = IntStream.range(0, 1000).mapToObj(Integer::toString).toList();
        try (ResNetModel model = ResNetModel.create(new ResNetSpec(classes, 224, 64, false), 1, 2)) {
            assertEquals(11_689_512L, model.parameterCount());
            assertTrue(model.variableNames().containsAll(List.of("conv1.weight", "bn1.running_var",
                    "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.bias", "fc.weight")));
        }
    }

    @Test
    void sameSeedGivesSameWeightsOtherSeedDoesNot() {
        try (ResNetModel a = ResNetModel.create(TINY, 7, 2); ResNetModel b = ResNetModel.create(TINY, 7, 2);
                ResNetModel c = ResNetModel.create(TINY, 8, 2)) {
            assertArrayEquals(a.variable("layer3.0.conv1.weight"), b.variable("layer3.0.conv1.weight"));
            assertFalse(Arrays.equals(a.variable("layer3.0.conv1.weight"), c.variable("layer3.0.conv1.weight")));
        }
    }

    @Test
    void exportedVersionsReloadWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        byte[] images = TestImages.random(4, 32, 1);
        float[] before;
        try (ResNetModel model = ResNetModel.create(TINY, 3, 2)) {
            for (int i = 0; i < 3; i++) {
                model.trainStep(Strategy.FULL, images, new int[] {0, 1, 2, 0}, 0.05f, 1e-4f, 0f);
            }
            before = model.predict(images, 4).probabilities();
            model.exportTraining(dir.resolve("training"));
            model.exportServing(dir.resolve("serving"));
        }
        try (ResNetModel resumed = ResNetModel.loadTraining(dir.resolve("training"), TINY, 2)) {
            assertArrayEquals(before, resumed.predict(images, 4).probabilities());
        }
        try (SavedModelBundle serving = SavedModelBundle.load(dir.resolve("serving").toString(), ServingSignature.TAG);
                TUint8 input = TUint8.tensorOf(Shape.of(4, 32, 32, 3), DataBuffers.of(images, true, false));
                Result result = serving.function(ServingSignature.KEY).call(Map.of(ServingSignature.INPUT, input))) {
            TFloat32 probabilities = (TFloat32) result.get(ServingSignature.PROBABILITIES).orElseThrow();
            float[] served = new float[(int) probabilities.size()];
            probabilities.copyTo(DataBuffers.of(served, false, false));
            assertArrayEquals(before, served);
            assertEquals(Set.of(ServingSignature.KEY), serving.signatures().stream().map(s -> s.key()).collect(Collectors.toSet()));
            // DJL falls back to the output index when names are lost: the exported outputs, sorted, are the shared list.
            assertEquals(ServingSignature.OUTPUTS_BY_NAME,
                    serving.function(ServingSignature.KEY).signature().outputNames().stream().sorted().toList());
        }
    }

    /**
     * The activation map is the top class's evidence by place: its mean plus that class's fc bias is the class's logit
     * (global average pooling and fc are linear), and it has one cell per layer4 position (input / 8 with the CIFAR
     * stem, input / 32 with ImageNet's).
     */
    @Test
    void activationMapAveragesToTheTopLogitAndScalesWithTheInput() {
        byte[] images = TestImages.random(4, 32, 4);
        try (ResNetModel model = ResNetModel.create(TINY, 9, 2)) {
            model.trainStep(Strategy.FULL, images, new int[] {0, 1, 2, 0}, 0.1f, 1e-4f, 0f);
            ResNetModel.Outputs outputs = model.predict(images, 4);
            assertEquals(4, outputs.mapSide(), "32 / 8 with the CIFAR stem");
            float[] bias = model.variable("fc.bias");
            int cells = 16;
            for (int i = 0; i < 4; i++) {
                int top = 0;
                for (int c = 1; c < 3; c++) {
                    top = outputs.logits()[i * 3 + c] > outputs.logits()[i * 3 + top] ? c : top;
                }
                double mean = 0;
                for (int j = 0; j < cells; j++) {
                    mean += outputs.activationMaps()[i * cells + j] / (double) cells;
                }
                assertEquals(outputs.logits()[i * 3 + top], mean + bias[top], 1e-4, "image " + i);
            }
        }
        ResNetSpec imagenetStem = new ResNetSpec(List.of("a", "b"), 64, 8, false);
        try (ResNetModel model = ResNetModel.create(imagenetStem, 9, 2)) {
            assertEquals(2, model.predict(TestImages.random(1, 64, 5), 1).mapSide(), "64 / 32 with ImageNet's stem");
        }
    }

    /**
     * Crashed the JVM (native heap corruption) with oneDNN's AVX-512 kernels on an Intel Xeon with AMX and AVX512_FP16;
     * the build, ./run and the images cap oneDNN at AVX2 for training (ONEDNN_MAX_CPU_ISA), which this runs under.
     */
    @Test
    void fullTrainingStepsOnOddBatchesRun() {
        try (ResNetModel model = ResNetModel.create(TINY, 9, 2)) {
            for (int batch : new int[] {3, 5}) {
                float loss = model.trainStep(Strategy.FULL, TestImages.random(batch, 32, batch), new int[batch], 0.1f, 1e-4f, 0f).loss();
                assertTrue(Float.isFinite(loss), "batch " + batch + ": loss " + loss);
            }
        }
    }

    @Test
    void headOnlyTrainingLeavesEveryBackboneVariableBitIdentical() {
        byte[] images = TestImages.random(6, 32, 2);
        try (ResNetModel model = ResNetModel.create(TINY, 5, 2)) {
            List<String> backbone = model.variableNames().stream().filter(n -> !n.startsWith("fc.")).toList();
            Map<String, float[]> before = backbone.stream().collect(Collectors.toMap(n -> n, model::variable));
            float[] fcBefore = model.variable("fc.weight");

            for (int i = 0; i < 3; i++) {
                model.trainStep(Strategy.HEAD, images, new int[] {0, 1, 2, 0, 1, 2}, 0.1f, 1e-4f, 0f);
            }

            for (String name : backbone) {
                assertArrayEquals(before.get(name), model.variable(name), name + " changed under head-only training");
            }
            assertFalse(Arrays.equals(fcBefore, model.variable("fc.weight")), "fc must learn");
        }
    }

    @Test
    void clippingBoundsTheGlobalGradientNormOfAStep() {
        byte[] images = TestImages.random(4, 32, 3);
        int[] labels = {0, 1, 2, 0};
        float rate = 0.1f;
        float clip = 1e-3f;
        try (ResNetModel clipped = ResNetModel.create(TINY, 9, 2); ResNetModel free = ResNetModel.create(TINY, 9, 2)) {
            List<String> trained = clipped.variableNames().stream().filter(n -> !n.endsWith(".momentum")
                    && !n.endsWith(".running_mean") && !n.endsWith(".running_var")).toList();
            Map<String, float[]> before = trained.stream().collect(Collectors.toMap(n -> n, clipped::variable));

            ResNetModel.StepResult clippedStep = clipped.trainStep(Strategy.FULL, images, labels, rate, 0f, clip);
            ResNetModel.StepResult freeStep = free.trainStep(Strategy.FULL, images, labels, rate, 0f, 0f);

            assertEquals(freeStep.gradientNorm(), clippedStep.gradientNorm(), 1e-6 * freeStep.gradientNorm());
            assertTrue(clippedStep.gradientNorm() > 10 * clip, "gradient norm " + clippedStep.gradientNorm());
            // First step: momentum is empty, so each update is exactly -rate x (scaled) gradient.
            assertEquals(rate * clip, stepNorm(before, clipped, trained), 0.01 * rate * clip);
            assertEquals(rate * freeStep.gradientNorm(), stepNorm(before, free, trained), 0.01 * rate * freeStep.gradientNorm());
        }
    }

    private static double stepNorm(Map<String, float[]> before, ResNetModel after, List<String> names) {
        double sum = 0;
        for (String name : names) {
            float[] a = before.get(name);
            float[] b = after.variable(name);
            for (int i = 0; i < a.length; i++) {
                sum += (double) (b[i] - a[i]) * (b[i] - a[i]);
            }
        }
        return Math.sqrt(sum);
    }
}
