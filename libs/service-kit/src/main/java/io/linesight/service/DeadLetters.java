package io.linesight.service;

import io.linesight.common.Topic;
import io.linesight.proto.MalformedRecords;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Dead letters for every consumed topic: a record that cannot be handled goes to its topic's DLQ with the reason
 * in a header (counted as linesight.dead.letters by DLQ topic and reason), and a record that is not protobuf at all
 * goes there with its original bytes unchanged. (Malformed records are counted per topic from startup by KafkaTopics.)
 */
@ApplicationScoped
public class DeadLetters {
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    private final MeterRegistry registry;

    DeadLetters(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * For a consumed message whose payload is null because it did not parse: its original bytes to the DLQ (the
     * source acknowledged once the broker has them). A record whose value was null holds nothing and is acknowledged.
     */
    public CompletionStage<Void> malformed(Message<?> message, Emitter<byte[]> rawDeadLetters, Topic deadLetterTopic) {
        var record = message.getMetadata(IncomingKafkaRecordMetadata.class);
        MalformedRecords.DeadLetter dead = record.map(m -> MalformedRecords.deadLetter(m.getHeaders())).orElse(null);
        if (dead == null) {
            return message.ack();
        }
        LOG.warnf("Malformed record %s to %s", where(message), deadLetterTopic.topicName());
        count(deadLetterTopic, "malformed_protobuf");
        return Relay.send(rawDeadLetters, dead.value(), String.valueOf(record.get().getKey()), dead.headers(), message);
    }

    /** The record to the DLQ with the reason ("code: detail"); the source is acknowledged once the broker has it. */
    public <T> CompletionStage<Void> send(Emitter<T> emitter, T payload, String key, String reason, Topic deadLetterTopic,
            Message<?> source) {
        LOG.warnf("Record %s to %s: %s", where(source), deadLetterTopic.topicName(), reason);
        count(deadLetterTopic, reason);
        RecordHeaders headers = new RecordHeaders();
        headers.add(MalformedRecords.DLQ_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        return Relay.send(emitter, payload, key, headers, source);
    }

    /** topic-partition@offset of the consumed record, for the log. */
    private static String where(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> m.getTopic() + "-" + m.getPartition() + "@" + m.getOffset()).orElse("(not from Kafka)");
    }

    private void count(Topic deadLetterTopic, String reason) {
        int colon = reason.indexOf(':');
        Counter.builder("linesight.dead.letters").tag("topic", deadLetterTopic.topicName())
                .tag("reason", colon < 0 ? reason : reason.substring(0, colon))
                .description("Records sent to a dead-letter topic, by reason").register(registry).increment();
    }
}
