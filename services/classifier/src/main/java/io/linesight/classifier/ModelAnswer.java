package io.linesight.classifier;

import io.linesight.proto.ActivationMap;

/**
 * One image's answer from the model: calibrated class probabilities, the top class's map (null if none) and the
 * pooled layer4 embedding (empty if the export has none).
 */
record ModelAnswer(float[] probabilities, ActivationMap activationMap, float[] embedding) {
}
