package io.linesight.common;

/** Redis keys shared between services: one writes them, another reads them. */
public final class RedisKeys {
    private RedisKeys() {
    }

    /** Written by ingest: where the frame sits in Kafka; read by the labels API. TTL = frames retention. */
    public static String frame(String frameId) {
        return "frame:" + frameId;
    }
}
