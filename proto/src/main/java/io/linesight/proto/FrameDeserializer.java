package io.linesight.proto;

/** Kafka deserializer of {@link Frame}; the generic {@link ProtobufSerializer} writes it. */
public class FrameDeserializer extends ProtobufDeserializer<Frame> {
    public FrameDeserializer() {
        super(Frame.parser());
    }
}
