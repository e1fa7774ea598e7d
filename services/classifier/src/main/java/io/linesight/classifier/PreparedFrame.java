package io.linesight.classifier;

/** A frame ready for inference: its pixels, or the reason it goes to the DLQ (one of the two). */
record PreparedFrame(PendingFrame pending, byte[] rgb, long preprocessMicros, String failure) {
    static PreparedFrame pixels(PendingFrame pending, byte[] rgb, long preprocessMicros) {
        return new PreparedFrame(pending, rgb, preprocessMicros, null);
    }

    static PreparedFrame failed(PendingFrame pending, String failure) {
        return new PreparedFrame(pending, null, 0, failure);
    }
}
