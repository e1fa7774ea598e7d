package io.linesight.common;

/** Redis keys shared between services: one writes them, another reads them. */
public final class RedisKeys {
    private RedisKeys() {
    }

    /** Written by ingest: where the frame sits in Kafka; read by the labels API. TTL = frames retention. */
    public static String frame(String frameId) {
        return "frame:" + frameId;
    }

    /**
     * Written once by the classifier (SET NX): the first Prediction of a frame, so the labels API attributes
     * an operator's answer to the version that really served it, even if a swap later re-classifies it.
     */
    public static String firstPrediction(String frameId) {
        return "prediction:" + frameId;
    }

    /**
     * Classifier cache: the prediction of an image (by the SHA-256 of its bytes, computed by the classifier) under one
     * model version, named by its manifest's SHA-256: a version number reused after a registry reset, or by a second
     * deployment sharing Redis, never hits another model's answers.
     */
    public static String cachedPrediction(String model, String manifestSha256, String imageSha256) {
        return "cache:" + model + ":" + manifestSha256 + ":" + imageSha256;
    }
}
