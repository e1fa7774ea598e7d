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

/**
 * Model input and output of the serving signature: uint8 RGB pixels at the input size in (scaling and
 * normalisation are inside the graph), class probabilities out, calibrated by the version's temperature
 * (TemperatureScaling, from its signed manifest). Decoding and resizing happen before, in the shared Images path,
 * so they can run in parallel with inference.
 */
final class FrameTranslator implements Translator<byte[], float[]> {
    private final int size;
    private final double temperature;

    FrameTranslator(int size, double temperature) {
        this.size = size;
        this.temperature = temperature;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, byte[] rgb) {
        NDArray image = ctx.getNDManager().create(ByteBuffer.wrap(rgb), new Shape(size, size, 3), DataType.UINT8);
        image.setName(ServingSignature.INPUT);
        return new NDList(image);
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList outputs) {
        NDArray probabilities = outputs.get(ServingSignature.PROBABILITIES);
        float[] values = (probabilities != null ? probabilities : outputs.get(ServingSignature.PROBABILITIES_INDEX)).toFloatArray();
        TemperatureScaling.apply(values, 0, values.length, temperature);
        return values;
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
