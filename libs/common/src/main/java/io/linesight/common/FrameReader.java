package io.linesight.common;

import io.linesight.proto.Frame;
import io.linesight.proto.FrameDeserializer;
import io.linesight.proto.RecordRef;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one frame back from linesight.frames by its reference (assign + seek, no consumer group): the trainer
 * for samples, ingest for the review page's images. Thread-safe by serialising reads.
 */
public final class FrameReader implements AutoCloseable {
    /** The frame, or why it cannot be had (starting with "frame-expired"). */
    public record Fetched(Frame frame, String failure) {
    }

    private final KafkaConsumer<String, Frame> consumer;

    public FrameReader(Map<String, Object> kafkaConfig, FrameSizeLimit limit) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, limit.maxMessageBytes());
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new FrameDeserializer());
    }

    public synchronized Fetched fetch(RecordRef ref, String frameId) {
        TopicPartition partition = new TopicPartition(ref.getTopic(), ref.getPartition());
        consumer.assign(List.of(partition));
        long logStart = consumer.beginningOffsets(List.of(partition)).get(partition);
        if (ref.getOffset() < logStart) {
            return new Fetched(null, "frame-expired: offset " + ref.getOffset() + " is below the log start " + logStart
                    + " of " + partition + " (frames retention shorter than the labelling delay)");
        }
        consumer.seek(partition, ref.getOffset());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, Frame> record : consumer.poll(Duration.ofMillis(500))) {
                if (record.offset() != ref.getOffset() || record.value() == null || !record.value().getFrameId().equals(frameId)) {
                    return new Fetched(null, "frame-expired: " + partition + " offset " + ref.getOffset()
                            + " does not hold frame " + frameId);
                }
                return new Fetched(record.value(), null);
            }
        }
        return new Fetched(null, "frame-expired: nothing at " + partition + " offset " + ref.getOffset());
    }

    @Override
    public synchronized void close() {
        consumer.close();
    }
}
