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
    /**
     * The top class's activation map (CAM): layer4's features weighted by that class's fc weights, [n, size/32,
     * size/32] (size/8 with the CIFAR stem). Its mean plus the class's fc bias is the class's logit.
     */
    public static final String ACTIVATION_MAP = "activation_map";
    /** Outputs in the order DJL returns them when it loses their names: sorted by name. */
    public static final List<String> OUTPUTS_BY_NAME = List.of(ACTIVATION_MAP, EMBEDDING, LOGITS, PROBABILITIES);

    private ServingSignature() {
    }

    /**
     * Where output {@code name} is among {@code outputs} unnamed ones, or -1 when the export lacks it. Exports from before
     * the activation map lack only that output, which sorts first.
     */
    public static int outputIndex(String name, int outputs) {
        int index = OUTPUTS_BY_NAME.indexOf(name) - (OUTPUTS_BY_NAME.size() - outputs);
        return index < 0 || OUTPUTS_BY_NAME.indexOf(name) < 0 ? -1 : index;
    }
}
