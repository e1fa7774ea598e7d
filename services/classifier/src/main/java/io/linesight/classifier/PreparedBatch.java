package io.linesight.classifier;

import java.util.List;
import java.util.concurrent.Future;

/** The frames of one batch the cache did not answer, on their way to the model, decoding on the pool since {@code formedAtNanos}. */
record PreparedBatch(List<PendingFrame> frames, List<Future<PreparedFrame>> items, long formedAtNanos) {
}
