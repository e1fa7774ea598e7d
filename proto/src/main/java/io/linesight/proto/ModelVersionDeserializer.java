package io.linesight.proto;

/** Kafka deserializer of {@link ModelVersion}; the generic {@link ProtobufSerializer} writes it. */
public class ModelVersionDeserializer extends ProtobufDeserializer<ModelVersion> {
    public ModelVersionDeserializer() {
        super(ModelVersion.parser());
    }
}
