package io.linesight.proto;

/** Kafka deserializer of {@link TrainingSample}; the generic {@link ProtobufSerializer} writes it. */
public class TrainingSampleDeserializer extends ProtobufDeserializer<TrainingSample> {
    public TrainingSampleDeserializer() {
        super(TrainingSample.parser());
    }
}
