package io.linesight.proto;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one protobuf message type. A record that does not parse yields null and is counted in
 * {@link MalformedRecords}, which also keeps its bytes on the record's headers: consumers dead-letter or skip nulls,
 * so one bad record never crash-loops a consumer.
 */
public class ProtobufDeserializer<T> implements Deserializer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ProtobufDeserializer.class);

    private final Parser<T> parser;

    protected ProtobufDeserializer(Parser<T> parser) {
        this.parser = parser;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return parser.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            long count = MalformedRecords.increment(topic);
            LOG.warn("Malformed record on {} ({} bytes, {} so far): {}", topic, data.length, count, e.getMessage());
            if (headers != null) { // a consumed record's headers are still writable here
                MalformedRecords.mark(headers, data, "malformed_protobuf: " + e.getMessage());
            }
            return null;
        }
    }
}
