package io.linesight.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class SerdeTest {
    private final ProtobufSerializer<Frame> serializer = new ProtobufSerializer<>();

    @Test
    void frameRoundTripsThroughItsSerde() {
        Frame frame = Frame.newBuilder().setFrameId("f-1").setCameraId("cam-7").setImage(ByteString.copyFrom(new byte[] {1, 2, 3}))
                .setWidth(200).setHeight(200).setAudit(true).putAttributes("shift", "night").build();

        Frame back = new FrameDeserializer().deserialize("linesight.frames", serializer.serialize("linesight.frames", frame));

        assertEquals(frame, back);
    }

    @Test
    void malformedRecordIsSkippedAndCounted() {
        String topic = "serde-test-malformed";
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};

        assertNull(new FrameDeserializer().deserialize(topic, garbage));
        assertNull(new LabelDeserializer().deserialize(topic, garbage));

        assertEquals(2, MalformedRecords.count(topic));
    }

    @Test
    void tombstoneStaysNull() {
        assertNull(serializer.serialize("t", null));
        assertNull(new ModelVersionDeserializer().deserialize("t", null));
    }
}
