package io.linesight.common;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

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
    /**
     * 256 MiB: what one image may decode to. 40 M pixels of 8-bit RGB (6 bytes a pixel to decode and copy) fit; 36 M
     * pixels of 16-bit RGBA (12) or 8-bit RGBA (8) do not.
     */
    public static final String MAX_DECODED_BYTES = "268435456";
    /** The share of the heap the images decoding at once may take; the rest is the service's own. */
    public static final String DECODE_HEAP_SHARE = "0.25";
    /** Frames stay this long in Kafka: labels reference frames by offset, so this bounds how late one may label. */
    public static final String FRAMES_RETENTION = "7d";
    public static final String PARTITIONS = "3";
    /** 0 = fit the cluster: min(3, brokers), so one broker, a test's or a laptop's, needs no setting. */
    public static final String REPLICATION_FACTOR = "0";
    /** 0 = the replication factor - 1, at least 1: one broker may be down and every write still has two copies at 3. */
    public static final String MIN_INSYNC_REPLICAS = "0";

    /** The share of defective parts a line accepts being called OK (OperatingPoints). */
    public static final String ESCAPE_TARGET = "0.005";
    /** The confidence of the escape rate's upper bound that must meet the target. */
    public static final String ESCAPE_CONFIDENCE = "0.95";

    private Defaults() {
    }

    /** The topic settings of the services' defaults. */
    public static TopicSetup.Settings topicSettings() {
        return topicSettings(Map.of());
    }

    /**
     * The topic settings a tool uses: the services' environment variables where {@code env} has them
     * (LINESIGHT_FRAMES_MAX_BYTES, LINESIGHT_FRAMES_RETENTION, LINESIGHT_TOPICS_PARTITIONS,
     * LINESIGHT_TOPICS_REPLICATION_FACTOR, LINESIGHT_TOPICS_MIN_INSYNC_REPLICAS), else their defaults, so a tool that creates topics first sizes them alike.
     */
    public static TopicSetup.Settings topicSettings(Map<String, String> env) {
        return new TopicSetup.Settings(Integer.parseInt(env.getOrDefault("LINESIGHT_TOPICS_PARTITIONS", PARTITIONS)),
                Short.parseShort(env.getOrDefault("LINESIGHT_TOPICS_REPLICATION_FACTOR", REPLICATION_FACTOR)),
                Integer.parseInt(env.getOrDefault("LINESIGHT_TOPICS_MIN_INSYNC_REPLICAS", MIN_INSYNC_REPLICAS)),
                new FrameSizeLimit(Integer.parseInt(env.getOrDefault("LINESIGHT_FRAMES_MAX_BYTES", MAX_FRAME_BYTES))),
                duration(env.getOrDefault("LINESIGHT_FRAMES_RETENTION", FRAMES_RETENTION)));
    }

    /** A duration as the services write them: 7d, 12h, 30m, 45s, or ISO-8601 (P7D). */
    static Duration duration(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.startsWith("P")) {
            return Duration.parse(v);
        }
        return v.endsWith("D") ? Duration.parse("P" + v) : Duration.parse("PT" + v);
    }
}
