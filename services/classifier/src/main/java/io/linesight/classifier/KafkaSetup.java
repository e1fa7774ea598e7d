package io.linesight.classifier;

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
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Creates missing topics at start, and sizes the clients that carry whole frames from the one frame-size
 * limit (channels name these maps with kafka-configuration in application.properties).
 */
@ApplicationScoped
public class KafkaSetup {
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    ClassifierConfig config;

    void createTopics(@Observes @Priority(1) StartupEvent start, MeterRegistry registry) throws Exception {
        try (Admin admin = Admin.create(kafkaConfig)) {
            TopicSetup.ensureTopics(admin, new TopicSetup.Settings(config.topics().partitions(),
                    config.topics().replicationFactor(), limit(), config.frames().retention()), Duration.ofSeconds(30));
        }
        for (Topic topic : new Topic[] {Topic.FRAMES, Topic.MODEL_VERSIONS}) {
            FunctionCounter.builder("linesight.malformed.records", MalformedRecords.counter(topic.topicName()), Number::doubleValue)
                    .tag("topic", topic.topicName()).description("Records that did not parse and were skipped").register(registry);
        }
    }

    @Produces
    @Identifier("linesight-frames-consumer")
    Map<String, Object> framesConsumer() {
        return Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, limit().maxMessageBytes());
    }

    @Produces
    @Identifier("linesight-frames-producer")
    Map<String, Object> framesProducer() {
        return Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, limit().maxMessageBytes());
    }

    private FrameSizeLimit limit() {
        return new FrameSizeLimit(config.frames().maxBytes());
    }
}
