package io.linesight.training.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.model.Strategy;
import io.linesight.training.model.TestImages;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class TorchvisionWeightsTest {
    /** torchvision's stem (7x7/2) so conv1 is the layer ImageNet weights bring. */
    private static final ResNetSpec SPEC = new ResNetSpec(List.of("a", "b", "c"), 32, 8, false);
    private static final int[] LABELS = {0, 1, 2, 0};

    @Test
    void exportedWeightsReimportWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        byte[] images = TestImages.random(4, 32, 1);
        Path file = dir.resolve("weights.safetensors");
        float[] trained;
        try (ResNetModel model = ResNetModel.create(SPEC, 1, 2)) {
            // A few steps so weights and BN running statistics are no longer their initial values.
            for (int i = 0; i < 3; i++) {
                model.trainStep(Strategy.FULL, images, LABELS, 0.05f, 1e-4f, 0f);
            }
            trained = model.predict(images, 4).probabilities();
            TorchvisionWeights.export(model, file, Map.of("classes", "a,b,c"));
        }
        try (ResNetModel other = ResNetModel.create(SPEC, 2, 2)) {
            assertFalse(Arrays.equals(trained, other.predict(images, 4).probabilities()), "another seed predicts differently");
            TorchvisionWeights.ImportReport report = TorchvisionWeights.importInto(other, SafeTensors.read(file));
            assertFalse(report.headReplaced());
            assertEquals(TorchvisionWeights.parameterNames(other).size(), report.loaded());
            assertArrayEquals(trained, other.predict(images, 4).probabilities());
        }
    }

    @Test
    void exportUsesTorchvisionNamesAndLayouts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weights.safetensors");
        try (ResNetModel model = ResNetModel.create(SPEC, 3, 2)) {
            TorchvisionWeights.export(model, file, Map.of());
            Map<String, SafeTensors.Tensor> weights = SafeTensors.read(file);
            assertArrayEquals(new long[] {8, 3, 7, 7}, weights.get("conv1.weight").shape());
            assertArrayEquals(new long[] {16, 8, 1, 1}, weights.get("layer2.0.downsample.0.weight").shape());
            assertArrayEquals(new long[] {3, 64}, weights.get("fc.weight").shape());
            assertArrayEquals(model.variable("bn1.running_var"), weights.get("bn1.running_var").values());
            // fc.weight[out][in] in the file is fc.weight[in][out] in the model.
            float[] tf = model.variable("fc.weight");
            assertEquals(tf[5 * 3 + 2], weights.get("fc.weight").values()[2 * 64 + 5]);
        }
    }

    @Test
    void importedConv1MatchesAPlainJavaConvolutionInTorchLayout(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weights.safetensors");
        try (ResNetModel source = ResNetModel.create(SPEC, 4, 2)) {
            TorchvisionWeights.export(source, file, Map.of());
        }
        SafeTensors.Tensor oihw = SafeTensors.read(file).get("conv1.weight");
        int size = 16;
        float[] input = new float[size * size * 3];
        Random random = new Random(9);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextGaussian();
        }
        try (ResNetModel imported = ResNetModel.create(SPEC, 5, 2)) {
            TorchvisionWeights.importInto(imported, SafeTensors.read(file));
            float[] byTensorFlow = tensorFlowConv(input, size, imported.variable("conv1.weight"),
                    imported.variableShape("conv1.weight"), 2, 3);
            float[] byReference = referenceConv(input, size, oihw.values(), 8, 3, 7, 2, 3);
            assertEquals(byReference.length, byTensorFlow.length);
            for (int i = 0; i < byReference.length; i++) {
                assertEquals(byReference[i], byTensorFlow[i], 1e-4, "output " + i);
            }
        }
    }

    @Test
    void imagenetHeadIsReplacedForOtherClassesAndTheBackboneKept(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weights.safetensors");
        ResNetSpec thousand = new ResNetSpec(IntStream.range(0, 1000).mapToObj(Integer::toString).toList(), 32, 8, false);
        try (ResNetModel source = ResNetModel.create(thousand, 6, 2)) {
            TorchvisionWeights.export(source, file, Map.of());
        }
        Map<String, SafeTensors.Tensor> weights = SafeTensors.read(file);
        assertEquals(SPEC, TorchvisionWeights.specFor(weights, SPEC.classes(), 32));
        try (ResNetModel model = ResNetModel.create(SPEC, 7, 2)) {
            float[] freshHead = model.variable("fc.weight");
            TorchvisionWeights.ImportReport report = TorchvisionWeights.importInto(model, weights);
            assertTrue(report.headReplaced());
            assertEquals(1000, report.fileClasses());
            assertArrayEquals(freshHead, model.variable("fc.weight"));
            assertArrayEquals(TorchvisionWeights.fromTorch(weights.get("layer4.1.conv2.weight")), model.variable("layer4.1.conv2.weight"));
        }
    }

    @Test
    void missingOrMisShapedTensorsAreNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weights.safetensors");
        try (ResNetModel source = ResNetModel.create(SPEC, 8, 2)) {
            TorchvisionWeights.export(source, file, Map.of());
        }
        Map<String, SafeTensors.Tensor> missing = new LinkedHashMap<>(SafeTensors.read(file));
        missing.remove("layer3.1.bn1.running_mean");
        Map<String, SafeTensors.Tensor> misShaped = new LinkedHashMap<>(SafeTensors.read(file));
        misShaped.put("layer1.0.conv1.weight", new SafeTensors.Tensor(new long[] {8, 8, 1, 1}, new float[64]));
        try (ResNetModel model = ResNetModel.create(SPEC, 9, 2)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchvisionWeights.importInto(model, missing))
                    .getMessage().contains("layer3.1.bn1.running_mean"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchvisionWeights.importInto(model, misShaped))
                    .getMessage().contains("layer1.0.conv1.weight has shape [8, 8, 1, 1]"));
        }
    }

    /** PyTorch's conv2d semantics: weights [out][in][k][k], zero padding, NHWC input and output here. */
    private static float[] referenceConv(float[] input, int size, float[] weights, int out, int in, int k, int stride, int pad) {
        int outSize = (size + 2 * pad - k) / stride + 1;
        float[] result = new float[outSize * outSize * out];
        for (int oy = 0; oy < outSize; oy++) {
            for (int ox = 0; ox < outSize; ox++) {
                for (int o = 0; o < out; o++) {
                    double sum = 0;
                    for (int i = 0; i < in; i++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int y = oy * stride + ky - pad;
                                int x = ox * stride + kx - pad;
                                if (y >= 0 && y < size && x >= 0 && x < size) {
                                    sum += input[(y * size + x) * in + i] * weights[((o * in + i) * k + ky) * k + kx];
                                }
                            }
                        }
                    }
                    result[(oy * outSize + ox) * out + o] = (float) sum;
                }
            }
        }
        return result;
    }

    /** The model's conv as TensorFlow runs it: explicit padding, then VALID with HWIO weights. */
    private static float[] tensorFlowConv(float[] input, int size, float[] hwio, long[] shape, int stride, int pad) {
        try (Graph graph = new Graph(); Session session = new Session(graph)) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
            var padded = tf.pad(x, tf.constant(new int[][] {{0, 0}, {pad, pad}, {pad, pad}, {0, 0}}), tf.constant(0f));
            var conv = tf.nn.conv2d(padded, tf.constant(Shape.of(shape), DataBuffers.of(hwio, true, false)),
                    List.of(1L, (long) stride, (long) stride, 1L), "VALID");
            try (TFloat32 in = TFloat32.tensorOf(Shape.of(1, size, size, 3), DataBuffers.of(input, true, false));
                    Result result = session.runner().feed(x, in).fetch(conv).run()) {
                TFloat32 y = (TFloat32) result.get(0);
                float[] out = new float[(int) y.size()];
                y.copyTo(DataBuffers.of(out, false, false));
                return out;
            }
        }
    }
}
