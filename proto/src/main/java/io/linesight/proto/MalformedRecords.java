package io.linesight.proto;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Records that failed to parse: a per-topic count (services export it as a metric), and on the consumed record's
 * headers its original bytes and the reason, so a consumer can move it to a dead-letter topic as it was.
 */
public final class MalformedRecords {
    /** Header of every dead-letter record: why it could not be handled. */
    public static final String DLQ_REASON_HEADER = "linesight.dlq.reason";
    /** Header the deserializer adds to a consumed record that did not parse: its original value. */
    static final String ORIGINAL_VALUE_HEADER = "linesight.malformed.value";
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    private MalformedRecords() {
    }

    static long increment(String topic) {
        return COUNTS.computeIfAbsent(String.valueOf(topic), t -> new AtomicLong()).incrementAndGet();
    }

    static void mark(Headers headers, byte[] data, String reason) {
        headers.add(ORIGINAL_VALUE_HEADER, data);
        headers.add(DLQ_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    }

    /** What goes to the dead-letter topic for a record that did not parse: its original bytes and the reason. */
    public record DeadLetter(byte[] value, RecordHeaders headers) {
    }

    /** The dead letter of a consumed record whose payload is null because it did not parse; null for a null value. */
    public static DeadLetter deadLetter(Headers consumed) {
        Header original = consumed.lastHeader(ORIGINAL_VALUE_HEADER);
        if (original == null) {
            return null;
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(consumed.lastHeader(DLQ_REASON_HEADER));
        return new DeadLetter(original.value(), headers);
    }

    /** Malformed records seen on the topic by this process so far. */
    public static long count(String topic) {
        AtomicLong count = COUNTS.get(topic);
        return count == null ? 0 : count.get();
    }

    /** A live view of the counter, for gauge registration before any record failed. */
    public static AtomicLong counter(String topic) {
        return COUNTS.computeIfAbsent(topic, t -> new AtomicLong());
    }
}
