package io.linesight.ingest;

import io.linesight.common.FrameReader;
import io.linesight.common.FrameSizeLimit;
import io.linesight.common.TopicSetup;
import com.google.protobuf.MessageLite;
import io.linesight.proto.ProtobufSerializer;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/** Creates the topics at start and the producer of frames and labels, both from the kafka.* settings. */
@ApplicationScoped
public class KafkaClients {
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    IngestConfig config;

    void createTopics(@Observes StartupEvent start) throws Exception {
        try (Admin admin = Admin.create(kafkaConfig)) {
            TopicSetup.ensureTopics(admin, new TopicSetup.Settings(config.topics().partitions(),
                    config.topics().replicationFactor(), frameSizeLimit(), config.frames().retention()),
                    Duration.ofSeconds(30));
        }
    }

    @Produces
    @Singleton
    FrameSizeLimit frameSizeLimit() {
        return new FrameSizeLimit(config.frames().maxBytes());
    }

    @Produces
    @Singleton
    Producer<String, MessageLite> producer() {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        // A 202 promises the frame is safe: wait for all in-sync replicas, never duplicate on retry.
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, frameSizeLimit().maxMessageBytes());
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 4L * frameSizeLimit().maxMessageBytes()));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) config.producer().maxBlock().toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) config.producer().deliveryTimeout().toMillis());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                (int) Math.min(config.producer().deliveryTimeout().toMillis(), 30_000));
        // Images are already compressed; the default linger would only add latency.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(props, new StringSerializer(), new ProtobufSerializer<>());
    }

    void closeProducer(@Disposes Producer<String, MessageLite> producer) {
        producer.close(Duration.ofSeconds(5));
    }

    /** Reads frames back by reference, for the review page's images. */
    @Produces
    @Singleton
    FrameReader frameReader() {
        return new FrameReader(kafkaConfig, frameSizeLimit());
    }

    void closeFrameReader(@Disposes FrameReader reader) {
        reader.close();
    }
}
