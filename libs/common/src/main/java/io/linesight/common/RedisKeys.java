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

    /** Classifier cache: the prediction of an image (by SHA-256) under one model version. */
    public static String cachedPrediction(String model, int version, String imageSha256) {
        return "cache:" + model + ":" + version + ":" + imageSha256;
    }
}
