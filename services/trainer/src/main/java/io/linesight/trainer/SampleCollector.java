package io.linesight.trainer;

import io.linesight.common.FrameReader;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.proto.Frame;
import io.linesight.proto.Label;
import io.linesight.proto.TrainingSample;
import io.linesight.service.DeadLetters;
import io.linesight.service.Relay;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Reads linesight.labels; writes linesight.samples (and the local sample store) or, when the labelled frame is gone
 * from linesight.frames, linesight.labels.dlq with the cause. Each label commits once its record is on the broker.
 * The channel starts paused: SampleRebuild resumes it once the store holds linesight.samples. Storing a sample and
 * issuing its record happen under one lock with retention's stubs, so the topic's last record per key is the store's.
 */
@ApplicationScoped
public class SampleCollector {
    private final FrameReader frames;
    private final SampleStore store;
    private final AccuracyMetrics accuracy;
    private final AutoRollback rollback;
    private final ShadowEvaluation shadow;
    private final DeadLetters deadLetters;
    private final Emitter<TrainingSample> samples;
    private final Emitter<Label> labelDeadLetters;
    /** Records that are not a Label at all, dead-lettered with their original bytes. */
    private final Emitter<byte[]> rawDeadLetters;
    private final MeterRegistry registry;
    private final TrainerLease lease;
    private final AtomicInteger newSamples = new AtomicInteger();
    /** Orders store writes with the records issued for them (one producer keeps per-key order). */
    private final Object publishing = new Object();
    static final String LABELS_CHANNEL = "labels";
    /** How long a label waits for a lease confirmation that lapsed (a busy coordinator) to come back. */
    private static final Duration LEASE_PAUSE = Duration.ofSeconds(30);

    SampleCollector(FrameReader frames, SampleStore store, AccuracyMetrics accuracy, AutoRollback rollback, ShadowEvaluation shadow,
            DeadLetters deadLetters, MeterRegistry registry,
            TrainerLease lease, @Channel("samples") Emitter<TrainingSample> samples, @Channel("labels-dlq") Emitter<Label> labelDeadLetters,
            @Channel("labels-dlq-raw") Emitter<byte[]> rawDeadLetters) {
        this.lease = lease;
        this.frames = frames;
        this.store = store;
        this.accuracy = accuracy;
        this.rollback = rollback;
        this.shadow = shadow;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.samples = samples;
        this.labelDeadLetters = labelDeadLetters;
        this.rawDeadLetters = rawDeadLetters;
    }

    @Incoming(LABELS_CHANNEL)
    @Blocking
    public CompletionStage<Void> onLabel(Message<Label> message) {
        if (!awaitLease()) {
            // Paused past a lapse the coordinator did not end: this replica lost the lease or is cut off, and exits. The
            // label stays uncommitted, so the active replica reads it again.
            return message.nack(new IllegalStateException("this trainer replica does not hold the lease"));
        }
        Label label = message.getPayload();
        if (label == null) {
            return deadLetters.malformed(message, rawDeadLetters, Topic.LABELS_DLQ);
        }
        boolean first = accuracy.record(label);
        if (!rollback.check()) { // a rollback just published ends the shadow beside the old pointer: nothing to judge
            shadow.record(label, first);
        }
        FrameReader.Fetched fetched = frames.fetch(label.getFrameRef(), label.getFrameId());
        if (fetched.frame() == null) {
            return deadLetters.send(labelDeadLetters, label, label.getFrameId(), fetched.failure(), Topic.LABELS_DLQ, message);
        }
        var labelRecord = message.getMetadata(IncomingKafkaRecordMetadata.class).orElseThrow();
        Frame frame = fetched.frame();
        // The content hash is computed here, not taken from the record: it decides the side of the image.
        String sha256 = Sha256.hex(frame.getImage());
        TrainingSample sample = TrainingSample.newBuilder()
                .setFrameId(label.getFrameId()).setCameraId(frame.getCameraId()).setFrameRef(label.getFrameRef())
                .setLabelPartition(labelRecord.getPartition()).setLabelOffset(labelRecord.getOffset())
                .setLabel(label.getLabel()).setSource(label.getSource()).setImage(frame.getImage())
                .setSha256(sha256).setContentType(frame.getContentType()).setHoldout(store.side(sha256, frame.getAudit()))
                .setLabelledAtMs(label.getLabelledAtMs())
                .setCreatedAtMs(System.currentTimeMillis()).build();
        synchronized (publishing) {
            if (!lease.active()) {
                return message.nack(new IllegalStateException("this trainer replica lost the lease while reading the frame"));
            }
            if (!store.put(sample)) {
                // A redelivered label the store already has a newer answer for: nothing to write.
                return message.ack();
            }
            newSamples.incrementAndGet();
            Counter.builder("linesight.trainer.samples").tag("source", label.getSource().name())
                    .description("Training samples written").register(registry).increment();
            return Relay.send(samples, sample, SampleStore.key(sample.getFrameId(), sample.getSource()), null, message);
        }
    }

    private boolean awaitLease() {
        try {
            return lease.awaitActive(LEASE_PAUSE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sample retention: each pruned sample's record is replaced, in the store and on linesight.samples, by one without
     * the image (label and side kept), unless a newer label replaced it meanwhile.
     */
    void prune(List<SampleStore.Entry> entries) throws Exception {
        for (SampleStore.Entry entry : entries) {
            TrainingSample stub = store.sample(entry).toBuilder().clearImage().setPruned(true).build();
            CompletionStage<Void> sent;
            synchronized (publishing) {
                if (!store.replaceIfUnchanged(entry, stub)) {
                    continue;
                }
                sent = Relay.send(samples, stub, entry.key(), null, null);
            }
            sent.toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /** Samples collected since the last fine-tune started. */
    int takeNewSamples() {
        return newSamples.getAndSet(0);
    }

    int newSamples() {
        return newSamples.get();
    }
}
