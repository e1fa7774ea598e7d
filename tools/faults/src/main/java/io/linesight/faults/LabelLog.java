package io.linesight.faults;

import com.google.protobuf.InvalidProtocolBufferException;
import io.linesight.common.Topic;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What really is on linesight.labels, read from the beginning. */
final class LabelLog {
    private LabelLog() {
    }

    /**
     * The labels of {@code source} each frame has on the topic (in order), for the frames asked about; reads to the end
     * offsets (waiting at most {@code within} for a broker that just came back).
     */
    static Map<String, List<String>> labelsBySource(String bootstrap, LabelSource source, Collection<String> frameIds, Duration within) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, List<String>> labels = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topic.LABELS.topicName(), within).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, within);
            long deadline = System.nanoTime() + within.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        Label label = Label.parseFrom(record.value());
                        if (label.getSource() == source && frameIds.contains(label.getFrameId())) {
                            labels.computeIfAbsent(label.getFrameId(), k -> new ArrayList<>()).add(label.getLabel());
                        }
                    } catch (InvalidProtocolBufferException e) {
                        // the hostile-inputs row writes garbage here on purpose
                    }
                }
            }
        }
        return labels;
    }
}
