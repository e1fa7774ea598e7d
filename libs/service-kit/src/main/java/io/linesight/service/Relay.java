package io.linesight.service;

import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * Acknowledged sends: a record written because of a consumed one acknowledges that one (so its offset commits)
 * only when the broker has the new record, and nacks it when the broker refused: at-least-once, nothing lost.
 * The new record continues the consumed one's trace.
 */
public final class Relay {
    private Relay() {
    }

    /**
     * Sends the payload with its key and headers; the stage completes when the broker acknowledged it, or fails
     * with the broker's error. {@code source}, when not null, is acknowledged or nacked with it.
     */
    public static <T> CompletionStage<Void> send(Emitter<T> emitter, T payload, String key, Headers headers, Message<?> source) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Metadata metadata = Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key)
                .withHeaders(headers == null ? new RecordHeaders() : new RecordHeaders(headers.toArray())).build());
        if (source != null) {
            metadata = source.getMetadata(TracingMetadata.class).map(metadata::with).orElse(metadata);
        }
        emitter.send(Message.of(payload, metadata, () -> {
            CompletionStage<Void> acked = source == null ? CompletableFuture.completedFuture(null) : source.ack();
            // The broker has the record either way: a failed acknowledgement of the source is the caller's to see, and
            // must not make the sink nack the source it just acknowledged.
            return acked.handle((ignored, failure) -> {
                if (failure == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(failure);
                }
                return null;
            });
        }, (Throwable failure) -> {
            done.completeExceptionally(failure);
            return source == null ? CompletableFuture.completedFuture(null) : source.nack(failure);
        }));
        return done;
    }
}
