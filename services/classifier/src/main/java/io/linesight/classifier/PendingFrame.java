package io.linesight.classifier;

import io.linesight.proto.Frame;
import io.linesight.proto.RecordRef;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * A frame taken from linesight.frames, waiting for its batch; acknowledging its message commits its offset.
 * {@code imageSha256} is computed from the bytes: the record's own sha256 field is not trusted for the cache.
 * {@code takenAtMs} is wall time (compared with ingest's clock), {@code takenAtNanos} times the stages in this process.
 */
record PendingFrame(Message<Frame> message, Frame frame, RecordRef ref, long takenAtMs, long takenAtNanos, String imageSha256) {
    /** Received by ingest -> taken by the classifier. */
    long queueWaitMs() {
        return Math.max(0, takenAtMs - frame.getReceivedAtMs());
    }
}
