package io.linesight.common;

import java.time.Duration;
import java.util.Locale;

/**
 * The one place of each default shared by the services (their config groups' {@code @WithDefault}) and the
 * command-line tools: frame limits, topic shape and the model name.
 */
public final class Defaults {
    public static final String MODEL_NAME = "defects";
    /** 8 MiB: bounds accepted images and sizes the topics and clients (see FrameSizeLimit). */
    public static final String MAX_FRAME_BYTES = "8388608";
    /** Decompression bombs: a header may declare at most this many pixels. */
    public static final String MAX_PIXELS = "40000000";
    /** Frames stay this long in Kafka: labels reference frames by offset, so this bounds how late one may label. */
    public static final String FRAMES_RETENTION = "7d";
    public static final String PARTITIONS = "3";
    public static final String REPLICATION_FACTOR = "1";

    private Defaults() {
    }

    /** The topic settings a tool uses when it is not told otherwise: the services' defaults. */
    public static TopicSetup.Settings topicSettings() {
        return new TopicSetup.Settings(Integer.parseInt(PARTITIONS), Short.parseShort(REPLICATION_FACTOR),
                new FrameSizeLimit(Integer.parseInt(MAX_FRAME_BYTES)), days(FRAMES_RETENTION));
    }

    private static Duration days(String value) {
        return Duration.parse("P" + value.toUpperCase(Locale.ROOT));
    }
}
