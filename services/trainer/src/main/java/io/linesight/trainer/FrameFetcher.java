package io.linesight.trainer;

import io.linesight.common.FrameSizeLimit;
import io.linesight.proto.Frame;
import io.linesight.proto.FrameDeserializer;
import io.linesight.proto.RecordRef;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads one frame back from linesight.frames by its reference (assign + seek, no consumer group). */
@ApplicationScoped
public class FrameFetcher {
    /** The frame, or why it cannot be had. */
    public record Fetched(Frame frame, String failure) {
    }

    private final KafkaConsumer<String, Frame> consumer;

    FrameFetcher(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, TrainerConfig config) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, new FrameSizeLimit(config.frames().maxBytes()).maxMessageBytes());
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

    @PreDestroy
    void close() {
        consumer.close();
    }
}
