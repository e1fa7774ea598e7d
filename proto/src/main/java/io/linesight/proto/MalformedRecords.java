package io.linesight.proto;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Per-topic count of records that failed to parse; services export it as a metric. */
public final class MalformedRecords {
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    private MalformedRecords() {
    }

    static long increment(String topic) {
        return COUNTS.computeIfAbsent(String.valueOf(topic), t -> new AtomicLong()).incrementAndGet();
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
