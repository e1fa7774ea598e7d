package io.linesight.ingest;

import com.google.protobuf.MessageLite;
import io.linesight.common.FrameSizeLimit;
import io.linesight.proto.ProtobufSerializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Writes frames and labels to Kafka and waits for the broker: a 202 promises the record is safe, and a broker that
 * does not acknowledge in time becomes a 503, never a 500. Each record carries the request's trace context.
 */
@ApplicationScoped
public class RecordPublisher {
    private static final Logger LOG = Logger.getLogger(RecordPublisher.class);

    private final Producer<String, MessageLite> producer;
    private final OpenTelemetry telemetry;
    private final MeterRegistry registry;

    RecordPublisher(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            @Identifier("linesight-frames-producer") Map<String, Object> frameSized, FrameSizeLimit limit, PublishConfig publish,
            OpenTelemetry telemetry, MeterRegistry registry) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.putAll(frameSized);
        // Wait for all in-sync replicas, never duplicate on retry.
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 4L * limit.maxMessageBytes()));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) publish.maxBlock().toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) publish.deliveryTimeout().toMillis());
        // A request to a frozen or partitioned broker (a leader, or the node asked for metadata) is abandoned after a
        // fifth of the delivery timeout, so retries still have time to reach the partition's next leader (a cluster
        // moves leaders within seconds).
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(publish.deliveryTimeout().toMillis() / 5, 30_000));
        // Images are already compressed; the default linger would only add latency.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ProtobufSerializer<>());
        this.telemetry = telemetry;
        this.registry = registry;
    }

    public RecordMetadata send(String topic, String key, MessageLite value) {
        ProducerRecord<String, MessageLite> record = new ProducerRecord<>(topic, key, value);
        telemetry.getPropagators().getTextMapPropagator().inject(Context.current(), record,
                (target, name, header) -> target.headers().add(name, header.getBytes(StandardCharsets.UTF_8)));
        try {
            return producer.send(record).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RecordTooLargeException) {
                throw new ApiError(413, "record_too_large", e.getCause().getMessage());
            }
            throw brokerUnavailable(topic, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw brokerUnavailable(topic, e);
        } catch (KafkaException e) {
            // send() itself throws when metadata does not arrive within max.block.ms.
            throw brokerUnavailable(topic, e);
        }
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }

    private ApiError brokerUnavailable(String topic, Throwable cause) {
        LOG.warnf("Nothing published to %s, broker unavailable: %s", topic, cause.toString());
        Counter.builder("linesight.ingest.broker.unavailable").tag("topic", topic)
                .description("Requests answered 503 because Kafka did not acknowledge").register(registry).increment();
        return ApiError.unavailable("nothing was stored: Kafka did not acknowledge (" + cause.getClass().getSimpleName()
                + "); retry later", 5);
    }
}
