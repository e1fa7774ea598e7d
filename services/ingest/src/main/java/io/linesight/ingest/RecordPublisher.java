package io.linesight.ingest;

import com.google.protobuf.MessageLite;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.jboss.logging.Logger;

/** Publishes a record and waits for the broker: a broker that does not acknowledge becomes a 503, never a 500. */
@ApplicationScoped
public class RecordPublisher {
    private static final Logger LOG = Logger.getLogger(RecordPublisher.class);

    private final Producer<String, MessageLite> producer;
    private final MeterRegistry registry;

    RecordPublisher(Producer<String, MessageLite> producer, MeterRegistry registry) {
        this.producer = producer;
        this.registry = registry;
    }

    public RecordMetadata send(String topic, String key, MessageLite record) {
        try {
            return producer.send(new ProducerRecord<>(topic, key, record)).get();
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

    private ApiError brokerUnavailable(String topic, Throwable cause) {
        LOG.warnf("Nothing published to %s, broker unavailable: %s", topic, cause.toString());
        Counter.builder("linesight.ingest.broker.unavailable").tag("topic", topic)
                .description("Requests answered 503 because Kafka did not acknowledge").register(registry).increment();
        return ApiError.unavailable("nothing was stored: Kafka did not acknowledge (" + cause.getClass().getSimpleName()
                + "); retry later", 5);
    }
}
