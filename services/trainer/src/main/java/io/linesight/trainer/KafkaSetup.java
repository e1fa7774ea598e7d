package io.linesight.trainer;

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
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;

/** Creates missing topics at start; sizes the samples producer (samples carry whole frames) from the frame limit. */
@ApplicationScoped
public class KafkaSetup {
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    TrainerConfig config;

    void createTopics(@Observes @Priority(1) StartupEvent start, MeterRegistry registry) throws Exception {
        try (Admin admin = Admin.create(kafkaConfig)) {
            TopicSetup.ensureTopics(admin, new TopicSetup.Settings(config.topics().partitions(),
                    config.topics().replicationFactor(), limit(), config.frames().retention()), Duration.ofSeconds(30));
        }
        FunctionCounter.builder("linesight.malformed.records", MalformedRecords.counter(Topic.LABELS.topicName()), Number::doubleValue)
                .tag("topic", Topic.LABELS.topicName()).description("Records that did not parse and were skipped").register(registry);
    }

    @Produces
    @Identifier("linesight-samples-producer")
    Map<String, Object> samplesProducer() {
        return Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, limit().maxMessageBytes());
    }

    @Produces
    @jakarta.inject.Singleton
    FrameReader frameReader() {
        return new FrameReader(kafkaConfig, limit());
    }

    void closeFrameReader(@jakarta.enterprise.inject.Disposes FrameReader reader) {
        reader.close();
    }

    private FrameSizeLimit limit() {
        return new FrameSizeLimit(config.frames().maxBytes());
    }
}
