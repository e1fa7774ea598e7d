package io.linesight.classifier;

import java.util.List;
import java.util.concurrent.Future;

/** One batch on its way to the model: its frames, and their preparation (decoding on the pool, or a cached answer). */
record PreparedBatch(List<PendingFrame> frames, List<Future<PreparedFrame>> items) {
}
