package io.linesight.proto;

/** Kafka deserializer of {@link Prediction}; the generic {@link ProtobufSerializer} writes it. */
public class PredictionDeserializer extends ProtobufDeserializer<Prediction> {
    public PredictionDeserializer() {
        super(Prediction.parser());
    }
}
