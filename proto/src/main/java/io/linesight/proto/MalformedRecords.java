package io.linesight.proto;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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

    static void mark(org.apache.kafka.common.header.Headers headers, byte[] data, String reason) {
        headers.add(ORIGINAL_VALUE_HEADER, data);
        headers.add(DLQ_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    }

    /** The original value of a consumed record whose payload is null because it did not parse; null otherwise. */
    public static byte[] originalValue(org.apache.kafka.common.header.Headers headers) {
        org.apache.kafka.common.header.Header header = headers.lastHeader(ORIGINAL_VALUE_HEADER);
        return header == null ? null : header.value();
    }

    /** Headers for the dead-letter copy of such a record: the reason the deserializer gave. */
    public static org.apache.kafka.common.header.internals.RecordHeaders deadLetterHeaders(org.apache.kafka.common.header.Headers headers) {
        org.apache.kafka.common.header.internals.RecordHeaders copy = new org.apache.kafka.common.header.internals.RecordHeaders();
        org.apache.kafka.common.header.Header reason = headers.lastHeader(DLQ_REASON_HEADER);
        copy.add(DLQ_REASON_HEADER, reason == null ? "malformed_protobuf".getBytes(StandardCharsets.UTF_8) : reason.value());
        return copy;
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
