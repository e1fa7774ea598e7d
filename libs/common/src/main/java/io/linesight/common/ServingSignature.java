package io.linesight.common;

import java.util.List;

/**
 * Names of the inference SavedModel's signature, the contract between the training export (TensorFlow Java)
 * and every reader of it (the classifier and the bench on DJL, tests): one place, so they cannot drift apart.
 */
public final class ServingSignature {
    /** The SavedModel tag set of the inference export. */
    public static final String TAG = "serve";
    /** The signature the classifier calls. */
    public static final String KEY = "serving_default";
    /** uint8 NHWC RGB pixels at the manifest's input size; scaling and normalisation happen in the graph. */
    public static final String INPUT = "images";
    public static final String PROBABILITIES = "probabilities";
    public static final String LOGITS = "logits";
    public static final String EMBEDDING = "embedding";
    /** Outputs in the order DJL returns them when it loses their names: sorted by name. */
    public static final List<String> OUTPUTS_BY_NAME = List.of(EMBEDDING, LOGITS, PROBABILITIES);
    public static final int PROBABILITIES_INDEX = OUTPUTS_BY_NAME.indexOf(PROBABILITIES);

    private ServingSignature() {
    }
}
