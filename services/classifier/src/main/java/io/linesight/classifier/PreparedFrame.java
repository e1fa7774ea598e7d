package io.linesight.classifier;

import io.linesight.proto.Prediction;

/**
 * A frame ready for inference: its pixels, a cached answer, or the reason it goes to the DLQ (one of the three).
 * {@code imageSha256} is computed from the bytes: the record's own sha256 field is not trusted for the cache.
 */
record PreparedFrame(PendingFrame pending, String imageSha256, byte[] rgb, long preprocessMicros, Prediction cached, String failure) {
    static PreparedFrame pixels(PendingFrame pending, String imageSha256, byte[] rgb, long preprocessMicros) {
        return new PreparedFrame(pending, imageSha256, rgb, preprocessMicros, null, null);
    }

    static PreparedFrame cached(PendingFrame pending, String imageSha256, Prediction cached) {
        return new PreparedFrame(pending, imageSha256, null, 0, cached, null);
    }

    static PreparedFrame failed(PendingFrame pending, String imageSha256, String failure) {
        return new PreparedFrame(pending, imageSha256, null, 0, null, failure);
    }
}
