package io.linesight.classifier;

import io.linesight.proto.ActivationMap;

/** One image's answer from the model: calibrated class probabilities and the top class's map (null if none). */
record ModelAnswer(float[] probabilities, ActivationMap activationMap) {
}
