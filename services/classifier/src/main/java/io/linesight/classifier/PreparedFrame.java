package io.linesight.classifier;

import io.linesight.proto.Prediction;

/** A frame ready for inference: its pixels, a cached answer, or the reason it goes to the DLQ (one of the three). */
record PreparedFrame(PendingFrame pending, byte[] rgb, long preprocessMicros, Prediction cached, String failure) {
    static PreparedFrame pixels(PendingFrame pending, byte[] rgb, long preprocessMicros) {
        return new PreparedFrame(pending, rgb, preprocessMicros, null, null);
    }

    static PreparedFrame cached(PendingFrame pending, Prediction cached) {
        return new PreparedFrame(pending, null, 0, cached, null);
    }

    static PreparedFrame failed(PendingFrame pending, String failure) {
        return new PreparedFrame(pending, null, 0, null, failure);
    }
}
