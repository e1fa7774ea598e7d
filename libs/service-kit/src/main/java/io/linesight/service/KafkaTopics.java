package io.linesight.service;

import io.linesight.common.FrameReader;
import io.linesight.common.FrameSizeLimit;
import io.linesight.common.Topic;
import io.linesight.common.TopicSetup;
import io.linesight.proto.MalformedRecords;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Creates the missing topics of the topic table at start, registers the malformed-record counter of every topic
 * (linesight.malformed.records), and sizes every client that carries whole frames from the one frame-size limit:
 * channels name these maps with kafka-configuration in application.properties.
 */
@ApplicationScoped
public class KafkaTopics {
    private final Map<String, Object> kafkaConfig;
    private final TopicsConfig topics;
    private final FramesConfig frames;

    KafkaTopics(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, TopicsConfig topics, FramesConfig frames) {
        this.kafkaConfig = kafkaConfig;
        this.topics = topics;
        this.frames = frames;
    }

    /** Before any channel starts (priority 1), so consumers find their topics with the right shape. */
    void createTopics(@Observes @Priority(1) StartupEvent start, MeterRegistry registry) throws Exception {
        try (Admin admin = Admin.create(kafkaConfig)) {
            TopicSetup.ensureTopics(admin, new TopicSetup.Settings(topics.partitions(), topics.replicationFactor(),
                    topics.minInsyncReplicas(), frameSizeLimit(), frames.retention()), Duration.ofSeconds(30));
        }
        for (Topic topic : Topic.values()) {
            FunctionCounter.builder("linesight.malformed.records", MalformedRecords.counter(topic.topicName()), Number::doubleValue)
                    .tag("topic", topic.topicName()).description("Consumed records that did not parse").register(registry);
        }
    }

    @Produces
    @Singleton
    FrameSizeLimit frameSizeLimit() {
        return new FrameSizeLimit(frames.maxBytes());
    }

    @Produces
    @Identifier("linesight-frames-consumer")
    Map<String, Object> framesConsumer() {
        return Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, frameSizeLimit().maxMessageBytes());
    }

    @Produces
    @Identifier("linesight-frames-producer")
    Map<String, Object> framesProducer() {
        return Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, frameSizeLimit().maxMessageBytes());
    }

    /** Reads frames back by reference (labels and the review page's images). */
    @Produces
    @Singleton
    FrameReader frameReader() {
        return new FrameReader(kafkaConfig, frameSizeLimit());
    }

    void closeFrameReader(@Disposes FrameReader reader) {
        reader.close();
    }
}
