package io.linesight.trainer;

import io.linesight.common.FrameReader;
import io.linesight.proto.Label;
import io.linesight.proto.MalformedRecords;
import io.linesight.proto.TrainingSample;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * Reads linesight.labels; writes linesight.samples (and the local sample store) or, when the labelled frame
 * is gone from linesight.frames, linesight.labels.dlq with the cause. Counts online accuracy.
 */
@ApplicationScoped
public class SampleCollector {
    private static final Logger LOG = Logger.getLogger(SampleCollector.class);
    static final String DLQ_REASON_HEADER = MalformedRecords.DLQ_REASON_HEADER;

    private final FrameReader frames;
    private final SampleStore store;
    private final AccuracyMetrics accuracy;
    private final Emitter<TrainingSample> samples;
    private final Emitter<Label> deadLetters;
    /** Records that are not a Label at all, dead-lettered with their original bytes. */
    private final Emitter<byte[]> rawDeadLetters;
    private final MeterRegistry registry;
    private final AtomicInteger newSamples = new AtomicInteger();

    SampleCollector(FrameReader frames, SampleStore store, AccuracyMetrics accuracy, MeterRegistry registry,
            @Channel("samples") Emitter<TrainingSample> samples, @Channel("labels-dlq") Emitter<Label> deadLetters,
            @Channel("labels-dlq-raw") Emitter<byte[]> rawDeadLetters) {
        this.frames = frames;
        this.store = store;
        this.accuracy = accuracy;
        this.registry = registry;
        this.samples = samples;
        this.deadLetters = deadLetters;
        this.rawDeadLetters = rawDeadLetters;
    }

    @Incoming("labels")
    @Blocking
    public CompletionStage<Void> onLabel(Message<Label> message) {
        Label label = message.getPayload();
        if (label == null) {
            var record = message.getMetadata(IncomingKafkaRecordMetadata.class);
            MalformedRecords.DeadLetter dead = record.map(m -> MalformedRecords.deadLetter(m.getHeaders())).orElse(null);
            if (dead == null) {
                return message.ack(); // a null value: nothing to keep
            }
            LOG.warnf("Malformed record %s-%d@%d to linesight.labels.dlq", record.get().getTopic(), record.get().getPartition(),
                    record.get().getOffset());
            countDeadLetter("malformed_protobuf");
            return send(rawDeadLetters, dead.value(), String.valueOf(record.get().getKey()), dead.headers(), message);
        }
        accuracy.record(label);
        FrameReader.Fetched fetched = frames.fetch(label.getFrameRef(), label.getFrameId());
        if (fetched.frame() == null) {
            LOG.warnf("Label for frame %s to linesight.labels.dlq: %s", label.getFrameId(), fetched.failure());
            countDeadLetter("frame-expired");
            RecordHeaders headers = new RecordHeaders();
            headers.add(DLQ_REASON_HEADER, fetched.failure().getBytes(StandardCharsets.UTF_8));
            return send(deadLetters, label, label.getFrameId(), headers, message);
        }
        var labelRecord = message.getMetadata(IncomingKafkaRecordMetadata.class).orElseThrow();
        TrainingSample sample = TrainingSample.newBuilder()
                .setFrameId(label.getFrameId()).setCameraId(fetched.frame().getCameraId()).setFrameRef(label.getFrameRef())
                .setLabelPartition(labelRecord.getPartition()).setLabelOffset(labelRecord.getOffset())
                .setLabel(label.getLabel()).setSource(label.getSource()).setImage(fetched.frame().getImage())
                .setSha256(fetched.frame().getSha256()).setContentType(fetched.frame().getContentType())
                .setCreatedAtMs(System.currentTimeMillis()).build();
        store.put(sample);
        newSamples.incrementAndGet();
        Counter.builder("linesight.trainer.samples").tag("source", label.getSource().name())
                .description("Training samples written").register(registry).increment();
        return send(samples, sample, sample.getFrameId(), new RecordHeaders(), message);
    }

    private void countDeadLetter(String cause) {
        Counter.builder("linesight.trainer.labels.dead").tag("cause", cause)
                .description("Labels sent to linesight.labels.dlq, by cause").register(registry).increment();
    }

    /** Samples collected since the last fine-tune started. */
    int takeNewSamples() {
        return newSamples.getAndSet(0);
    }

    int newSamples() {
        return newSamples.get();
    }

    /** The label's offset commits only once its sample or dead letter is acknowledged by the broker. */
    private static <T> CompletionStage<Void> send(Emitter<T> emitter, T payload, String key, RecordHeaders headers,
            Message<Label> source) {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Metadata metadata = Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).withHeaders(headers).build());
        emitter.send(Message.of(payload, metadata, () -> {
            done.complete(null);
            return source.ack();
        }, (Throwable failure) -> {
            done.completeExceptionally(failure);
            return source.nack(failure);
        }));
        return done;
    }
}
