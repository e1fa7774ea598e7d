package io.linesight.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import com.google.protobuf.ByteString;
import io.linesight.common.ActivationMaps;
import io.linesight.common.ServingSignature;
import io.linesight.common.TemperatureScaling;
import io.linesight.proto.ActivationMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Model input and output of the serving signature for a whole batch: uint8 RGB pixels at the input size in, as one
 * [n, size, size, 3] tensor (scaling and normalisation are inside the graph), class probabilities out, calibrated by
 * the version's temperature (TemperatureScaling, from its signed manifest), with the embedding (for CameraDrift) and
 * the top class's activation map in 8 bits (ActivationMaps) where the export has one. One tensor each way per batch, instead
 * of one per image stacked and split again by TensorFlow ops. Decoding and resizing happen before, in the shared
 * Images path, so they can run in parallel with inference.
 */
final class FrameTranslator implements Translator<List<byte[]>, List<ModelAnswer>> {
    private final int size;
    private final double temperature;

    FrameTranslator(int size, double temperature) {
        this.size = size;
        this.temperature = temperature;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, List<byte[]> rgbImages) {
        int imageBytes = size * size * 3;
        ByteBuffer pixels = ByteBuffer.allocateDirect(rgbImages.size() * imageBytes);
        for (byte[] rgb : rgbImages) {
            if (rgb.length != imageBytes) {
                throw new IllegalArgumentException("image of " + rgb.length + " bytes, expected " + size + "x" + size + "x3");
            }
            pixels.put(rgb);
        }
        NDArray batch = ctx.getNDManager().create(pixels.flip(), new Shape(rgbImages.size(), size, size, 3), DataType.UINT8);
        batch.setName(ServingSignature.INPUT);
        return new NDList(batch);
    }

    @Override
    public List<ModelAnswer> processOutput(TranslatorContext ctx, NDList outputs) {
        NDArray probabilities = output(outputs, ServingSignature.PROBABILITIES);
        NDArray maps = output(outputs, ServingSignature.ACTIVATION_MAP);
        NDArray embeddings = output(outputs, ServingSignature.EMBEDDING);
        int classes = (int) probabilities.getShape().get(1);
        float[] values = probabilities.toFloatArray();
        int images = values.length / classes;
        float[] embeddingValues = embeddings == null ? new float[0] : embeddings.toFloatArray();
        int embeddingSize = embeddingValues.length / images;
        float[] mapValues = maps == null ? null : maps.toFloatArray();
        int height = maps == null ? 0 : (int) maps.getShape().get(1);
        int width = maps == null ? 0 : (int) maps.getShape().get(2);
        List<ModelAnswer> perImage = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            int from = i * classes;
            TemperatureScaling.apply(values, from, classes, temperature);
            ActivationMap map = mapValues == null ? null : ActivationMap.newBuilder().setWidth(width).setHeight(height)
                    .setCells(ByteString.copyFrom(ActivationMaps.quantise(mapValues, i * width * height, width * height))).build();
            perImage.add(new ModelAnswer(Arrays.copyOfRange(values, from, from + classes), map,
                    Arrays.copyOfRange(embeddingValues, i * embeddingSize, (i + 1) * embeddingSize)));
        }
        return perImage;
    }

    /** An output by name, or by its place when DJL lost the names; null when this export lacks it. */
    private static NDArray output(NDList outputs, String name) {
        NDArray named = outputs.get(name);
        if (named != null || outputs.stream().anyMatch(array -> array.getName() != null)) {
            return named;
        }
        int index = ServingSignature.outputIndex(name, outputs.size());
        return index < 0 ? null : outputs.get(index);
    }

    /** The input already is the batch: DJL's default STACK would add a second batch dimension. */
    @Override
    public Batchifier getBatchifier() {
        return null;
    }
}
