package io.linesight.proto;

/** Kafka deserializer of {@link Label}; the generic {@link ProtobufSerializer} writes it. */
public class LabelDeserializer extends ProtobufDeserializer<Label> {
    public LabelDeserializer() {
        super(Label.parser());
    }
}
