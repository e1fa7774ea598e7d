package io.linesight.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.linesight.proto.Frame;
import org.junit.jupiter.api.Test;

class FrameKeyTest {
    @Test
    void cameraIdKeepsACameraOnOnePartitionFrameIdSpreadsIt() {
        Frame frame = Frame.newBuilder().setCameraId("cam-7").setFrameId("f-123").build();
        assertEquals("cam-7", FrameKey.CAMERA_ID.of(frame));
        assertEquals("f-123", FrameKey.FRAME_ID.of(frame));
    }
}
