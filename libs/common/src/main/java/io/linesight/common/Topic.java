package io.linesight.common;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;

/** The topic table of LineSight: every topic, its key and how it is kept. proto/README.md documents it. */
public enum Topic {
    FRAMES("linesight.frames", "camera id, or frame id (ingest's linesight.producer.frame-key)", false, true),
    PREDICTIONS("linesight.predictions", "camera id", false, false),
    /** The shadow candidate's answers to the same frames (ModelStatus.SHADOW); nothing downstream acts on them. */
    PREDICTIONS_SHADOW("linesight.predictions.shadow", "camera id", false, false),
    LABELS("linesight.labels", "frame id", false, false),
    SAMPLES("linesight.samples", "frame id/label source", true, true),
    MODEL_VERSIONS("linesight.model-versions", "model name", true, false),
    FRAMES_DLQ("linesight.frames.dlq", "camera id", false, true),
    LABELS_DLQ("linesight.labels.dlq", "frame id", false, false),
    /** Holds no records: its one partition, assigned to one trainer replica's consumer, is the trainer lease. */
    TRAINER_LEASE("linesight.trainer-lease", "none (empty)", false, false);

    private final String topicName;
    private final String key;
    private final boolean compacted;
    private final boolean carriesImages;

    Topic(String topicName, String key, boolean compacted, boolean carriesImages) {
        this.topicName = topicName;
        this.key = key;
        this.compacted = compacted;
        this.carriesImages = carriesImages;
    }

    public String topicName() {
        return topicName;
    }

    /** Partitions at creation: the configured count, one for the lease (a lease is one thing to hold). */
    public int partitions(int configured) {
        return this == TRAINER_LEASE ? 1 : configured;
    }

    /** What the record key holds. */
    public String key() {
        return key;
    }

    public boolean compacted() {
        return compacted;
    }

    /** Whether records hold whole images, and so need the frame-size limit instead of Kafka's 1 MB default. */
    public boolean carriesImages() {
        return carriesImages;
    }

    /**
     * Topic configuration at creation. Frames and their DLQ are kept for the frames retention: labels
     * reference frames by offset, so that retention bounds how late an operator may label. Every write needs
     * minInsyncReplicas copies (producers send with acks=all), so an acknowledged record survives a broker's loss.
     */
    public Map<String, String> configs(FrameSizeLimit limit, Duration framesRetention, int minInsyncReplicas) {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInsyncReplicas));
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
                compacted ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
        if (carriesImages) {
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(limit.maxMessageBytes()));
        }
        if (this == FRAMES || this == FRAMES_DLQ) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(framesRetention.toMillis()));
        }
        return configs;
    }
}
