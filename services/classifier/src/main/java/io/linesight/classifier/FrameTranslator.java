package io.linesight.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.linesight.common.ServingSignature;
import io.linesight.common.TemperatureScaling;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Model input and output of the serving signature for a whole batch: uint8 RGB pixels at the input size in, as one
 * [n, size, size, 3] tensor (scaling and normalisation are inside the graph), class probabilities out, calibrated by
 * the version's temperature (TemperatureScaling, from its signed manifest). One tensor each way per batch, instead
 * of one per image stacked and split again by TensorFlow ops. Decoding and resizing happen before, in the shared
 * Images path, so they can run in parallel with inference.
 */
final class FrameTranslator implements Translator<List<byte[]>, List<float[]>> {
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
    public List<float[]> processOutput(TranslatorContext ctx, NDList outputs) {
        NDArray probabilities = outputs.get(ServingSignature.PROBABILITIES);
        if (probabilities == null) {
            probabilities = outputs.get(ServingSignature.PROBABILITIES_INDEX);
        }
        int classes = (int) probabilities.getShape().get(1);
        float[] values = probabilities.toFloatArray();
        List<float[]> perImage = new ArrayList<>(values.length / classes);
        for (int from = 0; from < values.length; from += classes) {
            TemperatureScaling.apply(values, from, classes, temperature);
            perImage.add(Arrays.copyOfRange(values, from, from + classes));
        }
        return perImage;
    }

    /** The input already is the batch: DJL's default STACK would add a second batch dimension. */
    @Override
    public Batchifier getBatchifier() {
        return null;
    }
}
