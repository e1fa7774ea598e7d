package io.linesight.ingest;

import io.linesight.proto.Frame;

/**
 * The key a frame is written to linesight.frames with, which picks its partition and so the classifier replica that
 * classifies it.
 */
public enum FrameKey {
    /**
     * One camera, one partition: its frames are read in capture order, by one replica at a time (a cache hit may still
     * be predicted before an earlier frame that needs the model).
     */
    CAMERA_ID,
    /** Frames spread over every partition: one fast camera uses every replica, and its predictions may arrive out of order. */
    FRAME_ID;

    String of(Frame frame) {
        return this == CAMERA_ID ? frame.getCameraId() : frame.getFrameId();
    }
}
