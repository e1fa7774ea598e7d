package io.linesight.classifier;

import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.proto.Frame;
import io.linesight.proto.RecordRef;
import io.linesight.service.DeadLetters;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Reads linesight.frames into the batcher's queue; records that are not a Frame go to linesight.frames.dlq with their
 * original bytes. Frames are acknowledged later, when their prediction or dead letter is on the broker.
 */
@ApplicationScoped
public class FrameIntake {
    private final FrameBatcher batcher;
    private final DeadLetters deadLetters;
    private final Emitter<byte[]> rawDeadLetters;

    FrameIntake(FrameBatcher batcher, DeadLetters deadLetters,
            @Channel("frames-dlq-raw") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024) Emitter<byte[]> rawDeadLetters) {
        this.batcher = batcher;
        this.deadLetters = deadLetters;
        this.rawDeadLetters = rawDeadLetters;
    }

    /** When the batcher's queue is full the channel waits (off the event loop), so Kafka is the buffer. */
    @Incoming("frames")
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> receive(Message<Frame> message) {
        Frame frame = message.getPayload();
        if (frame == null) {
            return Uni.createFrom().completionStage(deadLetters.malformed(message, rawDeadLetters, Topic.FRAMES_DLQ));
        }
        RecordRef ref = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> RecordRef.newBuilder().setTopic(m.getTopic()).setPartition(m.getPartition()).setOffset(m.getOffset()).build())
                .orElse(RecordRef.getDefaultInstance());
        PendingFrame pending = new PendingFrame(message, frame, ref, System.currentTimeMillis(), System.nanoTime(),
                Sha256.hex(frame.getImage()));
        if (batcher.offer(pending)) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().<Void>item(() -> {
            batcher.put(pending);
            return null;
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
}
