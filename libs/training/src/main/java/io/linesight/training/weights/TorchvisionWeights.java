package io.linesight.training.weights;

import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ResNet18 weights in torchvision's (and timm's) state-dict names and layouts, as safetensors: conv
 * weights OIHW, fc.weight [out, in], BN running statistics kept. The model holds the same names in
 * TensorFlow's layouts (HWIO, [in, out]); this class converts both ways.
 */
public final class TorchvisionWeights {
    /** What an import did: tensors loaded, and whether the classifier head was replaced for new classes. */
    public record ImportReport(int loaded, boolean headReplaced, int fileClasses, List<String> unused) {
    }

    private TorchvisionWeights() {
    }

    /**
     * The spec a file's weights fit: width from conv1's output channels, stem from its kernel (7 = torchvision,
     * 3 = CIFAR), for the given classes and input size.
     */
    public static ResNetSpec specFor(Map<String, SafeTensors.Tensor> weights, List<String> classes, int inputSize) {
        SafeTensors.Tensor conv1 = weights.get("conv1.weight");
        if (conv1 == null || conv1.shape().length != 4 || conv1.shape()[1] != 3) {
            throw new IllegalArgumentException("not ResNet18 weights in torchvision names: no conv1.weight of shape [width, 3, k, k]"
                    + (conv1 == null ? "" : ", got " + Arrays.toString(conv1.shape())));
        }
        long kernel = conv1.shape()[2];
        if (kernel != 7 && kernel != 3) {
            throw new IllegalArgumentException("conv1.weight has a " + kernel + "x" + kernel + " kernel; ResNet18 stems are 7x7 or 3x3");
        }
        return new ResNetSpec(classes, inputSize, (int) conv1.shape()[0], kernel == 3);
    }

    /** Number of classes the file's fc layer predicts (1000 for ImageNet weights). */
    public static int fileClasses(Map<String, SafeTensors.Tensor> weights) {
        SafeTensors.Tensor fc = weights.get("fc.weight");
        if (fc == null || fc.shape().length != 2) {
            throw new IllegalArgumentException("no fc.weight of shape [classes, features] in the weights");
        }
        return (int) fc.shape()[0];
    }

    /**
     * Loads every parameter and running statistic into {@code model}. The fc layer is kept when its class
     * count matches the model's, else left at its fresh initialisation (transfer learning); any other missing
     * or mis-shaped tensor is an error naming it.
     */
    public static ImportReport importInto(ResNetModel model, Map<String, SafeTensors.Tensor> weights) {
        int fileClasses = fileClasses(weights);
        boolean replaceHead = fileClasses != model.spec().numClasses();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String name : parameterNames(model)) {
            if (replaceHead && name.startsWith("fc.")) {
                continue;
            }
            SafeTensors.Tensor tensor = weights.get(name);
            if (tensor == null) {
                throw new IllegalArgumentException("the weights have no " + name + ": not a ResNet18 state dict of this width");
            }
            long[] expected = toTorchShape(model.variableShape(name));
            if (!Arrays.equals(expected, tensor.shape())) {
                throw new IllegalArgumentException(name + " has shape " + Arrays.toString(tensor.shape()) + ", the model needs "
                        + Arrays.toString(expected));
            }
            values.put(name, fromTorch(tensor));
        }
        model.assign(values);
        List<String> unused = weights.keySet().stream().filter(n -> !values.containsKey(n) && !n.startsWith("fc.")).toList();
        return new ImportReport(values.size(), replaceHead, fileClasses, unused);
    }

    /** Writes the model's parameters and running statistics as a torchvision state dict in safetensors. */
    public static void export(ResNetModel model, Path file, Map<String, String> metadata) throws IOException {
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        Map<String, Long> batchCounters = new LinkedHashMap<>();
        for (String name : parameterNames(model)) {
            tensors.put(name, toTorch(model.variableShape(name), model.variable(name)));
            if (name.endsWith(".running_var")) {
                // torchvision's strict load_state_dict expects BN's counter; it is unused with momentum 0.1.
                batchCounters.put(name.replace(".running_var", ".num_batches_tracked"), 0L);
            }
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("format", "pt");
        SafeTensors.write(file, tensors, batchCounters, meta);
    }

    /** The model's torchvision-named variables: parameters and BN statistics, not optimizer slots. */
    static List<String> parameterNames(ResNetModel model) {
        List<String> names = new ArrayList<>();
        for (String name : model.variableNames()) {
            if (!name.endsWith(".momentum")) {
                names.add(name);
            }
        }
        return names;
    }

    /** TensorFlow layout -> torchvision layout: HWIO -> OIHW, [in, out] -> [out, in]. */
    static SafeTensors.Tensor toTorch(long[] shape, float[] values) {
        if (shape.length == 4) {
            int h = (int) shape[0], w = (int) shape[1], in = (int) shape[2], out = (int) shape[3];
            float[] oihw = new float[values.length];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int i = 0; i < in; i++) {
                        for (int o = 0; o < out; o++) {
                            oihw[((o * in + i) * h + y) * w + x] = values[((y * w + x) * in + i) * out + o];
                        }
                    }
                }
            }
            return new SafeTensors.Tensor(toTorchShape(shape), oihw);
        }
        if (shape.length == 2) {
            return new SafeTensors.Tensor(toTorchShape(shape), transpose(values, (int) shape[0], (int) shape[1]));
        }
        return new SafeTensors.Tensor(shape.clone(), values.clone());
    }

    /** torchvision layout -> TensorFlow layout: OIHW -> HWIO, [out, in] -> [in, out]. */
    static float[] fromTorch(SafeTensors.Tensor tensor) {
        long[] shape = tensor.shape();
        float[] values = tensor.values();
        if (shape.length == 4) {
            int out = (int) shape[0], in = (int) shape[1], h = (int) shape[2], w = (int) shape[3];
            float[] hwio = new float[values.length];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            hwio[((y * w + x) * in + i) * out + o] = values[((o * in + i) * h + y) * w + x];
                        }
                    }
                }
            }
            return hwio;
        }
        if (shape.length == 2) {
            return transpose(values, (int) shape[0], (int) shape[1]);
        }
        return values.clone();
    }

    static long[] toTorchShape(long[] tfShape) {
        return switch (tfShape.length) {
            case 4 -> new long[] {tfShape[3], tfShape[2], tfShape[0], tfShape[1]};
            case 2 -> new long[] {tfShape[1], tfShape[0]};
            default -> tfShape.clone();
        };
    }

    private static float[] transpose(float[] values, int rows, int columns) {
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                out[c * rows + r] = values[r * columns + c];
            }
        }
        return out;
    }
}
